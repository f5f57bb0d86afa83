# client.cmake - libtern (static and shared), its pkg-config file, the
# `tern` command, the examples, and the client tests (unit tests beside the
# code in src/client/*_test.c, and the interop suite in tests/client/).

include(GNUInstallDirs)

if(NOT TARGET tern_codec OR NOT TARGET tern_base)
  message(STATUS "client: codec or base not built yet; libtern skipped")
  return()
endif()

file(GLOB TERN_CLIENT_SRCS CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/src/client/*.c)
file(GLOB TERN_CLIENT_TESTS CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/src/client/*_test.c)
if(TERN_CLIENT_TESTS)
  list(REMOVE_ITEM TERN_CLIENT_SRCS ${TERN_CLIENT_TESTS})
endif()

# The client's own objects, compiled once for both libraries.
add_library(tern_client_obj OBJECT ${TERN_CLIENT_SRCS})
target_include_directories(tern_client_obj PUBLIC
  ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/include)
set_target_properties(tern_client_obj PROPERTIES
  POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET default)
add_dependencies(tern_client_obj tern_codec tern_base)

# Both libraries carry the codec and base objects they need, so users link
# only -ltern (plus -pthread).
set(TERN_LIB_OBJS $<TARGET_OBJECTS:tern_client_obj>
  $<TARGET_OBJECTS:tern_codec> $<TARGET_OBJECTS:tern_base>)

add_library(tern_static STATIC ${TERN_LIB_OBJS})
set_target_properties(tern_static PROPERTIES OUTPUT_NAME tern)
target_include_directories(tern_static PUBLIC
  ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(tern_static PUBLIC Threads::Threads)

# The shared library exports the public API (tern_*) and nothing of the
# internal layers; the wrappers of base/alloc.h stay hidden too.
set(TERN_VERSION_SCRIPT ${CMAKE_BINARY_DIR}/libtern.map)
file(WRITE ${TERN_VERSION_SCRIPT} "{
  global: tern_*;
  local: tern_malloc; tern_calloc; tern_realloc; tern_free; tern_strndup; *;
};
")
add_library(tern_shared SHARED ${TERN_LIB_OBJS})
set_target_properties(tern_shared PROPERTIES
  OUTPUT_NAME tern
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  LINK_DEPENDS ${TERN_VERSION_SCRIPT})
target_link_options(tern_shared PRIVATE
  -Wl,--version-script=${TERN_VERSION_SCRIPT})
# Every symbol resolved at link time, except under a sanitizer, whose
# runtime is linked into the executable rather than the library.
if(NOT TERN_SANITIZE)
  target_link_options(tern_shared PRIVATE -Wl,--no-undefined)
endif()
target_link_libraries(tern_shared PRIVATE Threads::Threads)

# pkg-config, relocatable: the prefix is found from the .pc file's place,
# so `cmake --install --prefix DIR` works without reconfiguring.
set(TERN_PC ${CMAKE_BINARY_DIR}/tern.pc)
file(RELATIVE_PATH TERN_PC_UP /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" TERN_PC_UP "${TERN_PC_UP}")
file(WRITE ${TERN_PC} "prefix=\${pcfiledir}/${TERN_PC_UP}
exec_prefix=\${prefix}
libdir=\${prefix}/${CMAKE_INSTALL_LIBDIR}
includedir=\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}

Name: tern
Description: Tern MQTT 3.1/3.1.1/5.0 client library
Version: ${PROJECT_VERSION}
Libs: -L\${libdir} -ltern
Libs.private: -pthread
Cflags: -I\${includedir}
")

# The tern command: subcommands in src/cli/tern_*.c.
if(EXISTS ${CMAKE_SOURCE_DIR}/src/cli/tern.c)
  file(GLOB TERN_CLI_SRCS CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/src/cli/tern_*.c
    ${CMAKE_SOURCE_DIR}/src/cli/bench_*.c)
  # tern passwd hashes with auth/ (OpenSSL); without it, it says so.
  set(TERN_PASSWD_SRC ${CMAKE_SOURCE_DIR}/src/cli/tern_passwd.c)
  if(NOT TARGET tern_auth)
    list(REMOVE_ITEM TERN_CLI_SRCS ${TERN_PASSWD_SRC})
  endif()
  add_executable(tern ${CMAKE_SOURCE_DIR}/src/cli/tern.c ${TERN_CLI_SRCS})
  target_link_libraries(tern PRIVATE tern_static)
  if(TARGET tern_auth)
    target_link_libraries(tern PRIVATE tern_auth)
    target_compile_definitions(tern PRIVATE TERN_HAVE_PASSWD)
  endif()
  if(EXISTS ${CMAKE_SOURCE_DIR}/src/cli/tern_bench.c)
    target_compile_definitions(tern PRIVATE TERN_HAVE_BENCH)
  endif()
  set_target_properties(tern PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  install(TARGETS tern RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# Examples: each examples/*.c is one program, built against the public
# header only.
file(GLOB TERN_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/examples/*.c)
foreach(ex ${TERN_EXAMPLES})
  get_filename_component(exname ${ex} NAME_WE)
  add_executable(example_${exname} ${ex})
  target_include_directories(example_${exname} PRIVATE
    ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(example_${exname} PRIVATE tern_static)
  set_target_properties(example_${exname} PROPERTIES
    OUTPUT_NAME ${exname}
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/examples)
endforeach()

# The public header repeats enum tern_err of src/base/err.h (it cannot
# include an internal header): the two lists must agree.
add_test(NAME tern_err_sync_test
  COMMAND ${CMAKE_SOURCE_DIR}/tools/check_err_sync.sh)
set_tests_properties(tern_err_sync_test PROPERTIES LABELS unit)

# Unit tests of the client state machine.
foreach(t ${TERN_CLIENT_TESTS})
  get_filename_component(tname ${t} NAME_WE)
  add_executable(client_${tname} ${t})
  target_link_libraries(client_${tname} PRIVATE tern_static)
  target_compile_definitions(client_${tname} PRIVATE
    TERN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  add_test(NAME client_${tname} COMMAND client_${tname})
  set_tests_properties(client_${tname} PROPERTIES TIMEOUT 120 LABELS unit)
endforeach()

# Interop suites, each run twice: against Debian's mosquitto and against
# this build's ternd (tests/brokers.py starts the broker that
# TERN_TEST_BROKER names). The client suite: tern and libtern; tests that
# need MQTT 5 are skipped against ternd (with that reason) until the
# broker serves it. The bench suite: tern bench's accounting.
set(TERN_ON_MOSQUITTO "TERN_BIN=${CMAKE_BINARY_DIR}/tern;TERN_TEST_BROKER=mosquitto")
set(TERN_ON_TERND "TERN_BIN=${CMAKE_BINARY_DIR}/tern;TERN_TEST_BROKER=ternd;TERND=$<TARGET_FILE:ternd>")
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/client)
  set(TERN_CLIENT_PYTEST /usr/bin/python3 -m pytest -q -p no:cacheprovider
    --rootdir=${CMAKE_SOURCE_DIR}/tests/client
    --confcutdir=${CMAKE_SOURCE_DIR}/tests/client
    ${CMAKE_SOURCE_DIR}/tests/client)
  set(TERN_EXAMPLES_ENV "TERN_EXAMPLES=${CMAKE_BINARY_DIR}/examples")
  add_test(NAME client_interop COMMAND ${TERN_CLIENT_PYTEST})
  set_tests_properties(client_interop PROPERTIES TIMEOUT 900
    LABELS interop
    ENVIRONMENT "${TERN_ON_MOSQUITTO};${TERN_EXAMPLES_ENV}")
  if(TARGET ternd)
    add_test(NAME client_interop_ternd COMMAND ${TERN_CLIENT_PYTEST})
    set_tests_properties(client_interop_ternd PROPERTIES TIMEOUT 900
      LABELS interop
      ENVIRONMENT
      "${TERN_ON_TERND};${TERN_EXAMPLES_ENV};TERN_TEST_BROKER_MQTT5=0")
  endif()
endif()

if(EXISTS ${CMAKE_SOURCE_DIR}/tests/bench)
  set(TERN_BENCH_PYTEST /usr/bin/python3 -m pytest -q -p no:cacheprovider
    --rootdir=${CMAKE_SOURCE_DIR}/tests/bench
    --confcutdir=${CMAKE_SOURCE_DIR}/tests/bench
    ${CMAKE_SOURCE_DIR}/tests/bench)
  add_test(NAME bench_interop COMMAND ${TERN_BENCH_PYTEST})
  set_tests_properties(bench_interop PROPERTIES TIMEOUT 300
    LABELS interop ENVIRONMENT "${TERN_ON_MOSQUITTO}")
  if(TARGET ternd)
    add_test(NAME bench_interop_ternd COMMAND ${TERN_BENCH_PYTEST})
    set_tests_properties(bench_interop_ternd PROPERTIES TIMEOUT 300
      LABELS interop ENVIRONMENT "${TERN_ON_TERND}")
  endif()
endif()

install(FILES ${CMAKE_SOURCE_DIR}/include/tern/tern.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tern)
install(TARGETS tern_static tern_shared
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${TERN_PC} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
