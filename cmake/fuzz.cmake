# fuzz.cmake - the fuzz targets of fuzz/ (see docs/TESTING.md, "Fuzzing").
#
# Every build: replay_<name>, a plain program (fuzz/replay.c) that runs
# fuzz/fuzz_<name>.c over every file of fuzz/corpus/<name>/, linked
# against the project's own libraries with the build's own flags, and the
# ctest test fuzz_replay_<name> (label "unit") that runs it. So the
# release and ASan builds replay every seed and every past crash.
#
# With clang and TERN_FUZZ=ON (the "fuzz" preset) also fuzz_<name>, the
# libFuzzer binary, linked against a separate copy of the libraries it
# needs compiled with coverage instrumentation and ASan + UBSan, so the
# other targets of the build are untouched; and the targets
# fuzz_run_<name> (one) and fuzz (all, one after the other), which run
# each fuzzer for FUZZ_SECONDS over its corpus directory, adding the new
# inputs it finds there. Crashes go to <build>/fuzz-artifacts/<name>/.

option(TERN_FUZZ "Build the libFuzzer targets (needs clang)" OFF)
set(FUZZ_SECONDS 60 CACHE STRING "Seconds each fuzzer runs for `fuzz`")

set(TERN_FUZZ_DIR ${CMAKE_SOURCE_DIR}/fuzz)
set(TERN_FUZZ_ON OFF)
if(TERN_FUZZ)
  if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
    set(TERN_FUZZ_ON ON)
  else()
    message(WARNING "TERN_FUZZ needs clang (libFuzzer); "
      "only the replay programs are built")
  endif()
endif()

if(TERN_FUZZ_ON)
  set(TERN_FUZZ_SAN -fsanitize=address,undefined -fno-sanitize-recover=all)
  set(TERN_FUZZ_CFLAGS -O1 -g -fno-omit-frame-pointer -UNDEBUG
    ${TERN_FUZZ_SAN})

  # The layers the fuzzers reach, instrumented. Sources as tern_module()
  # globs them, so a new file (acl.c) is picked up.
  set(fuzz_lib_srcs "")
  foreach(dir base codec config auth router net broker)
    file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${dir}/*.c)
    list(FILTER srcs EXCLUDE REGEX "_test\\.c$")
    list(APPEND fuzz_lib_srcs ${srcs})
  endforeach()
  add_library(tern_fuzzlib STATIC ${fuzz_lib_srcs})
  target_include_directories(tern_fuzzlib PUBLIC ${CMAKE_SOURCE_DIR}/src
    ${CMAKE_SOURCE_DIR}/include)
  target_compile_options(tern_fuzzlib PRIVATE -fsanitize=fuzzer-no-link
    ${TERN_FUZZ_CFLAGS})
  target_link_libraries(tern_fuzzlib PUBLIC Threads::Threads
    OpenSSL::Crypto)
endif()

# tern_fuzz_target(NAME LIBS lib... [SOURCES extra.c...]): fuzz/fuzz_NAME.c
# as replay_NAME and its test, and with TERN_FUZZ as fuzz_NAME.
function(tern_fuzz_target name)
  cmake_parse_arguments(F "" "" "LIBS;SOURCES" ${ARGN})
  foreach(lib ${F_LIBS})
    if(NOT TARGET ${lib})
      message(STATUS "fuzz: ${lib} not built; ${name} skipped")
      return()
    endif()
  endforeach()
  set(srcs ${TERN_FUZZ_DIR}/fuzz_${name}.c)
  foreach(s ${F_SOURCES})
    list(APPEND srcs ${TERN_FUZZ_DIR}/${s})
  endforeach()
  set(corpus ${TERN_FUZZ_DIR}/corpus/${name})

  add_executable(replay_${name} ${srcs} ${TERN_FUZZ_DIR}/replay.c)
  target_include_directories(replay_${name} PRIVATE ${TERN_FUZZ_DIR})
  target_link_libraries(replay_${name} PRIVATE ${F_LIBS})
  add_test(NAME fuzz_replay_${name} COMMAND replay_${name} ${corpus})
  set_tests_properties(fuzz_replay_${name} PROPERTIES TIMEOUT 300
    LABELS unit)

  if(NOT TERN_FUZZ_ON)
    return()
  endif()
  set(san -fsanitize=fuzzer ${TERN_FUZZ_SAN})
  add_executable(fuzz_${name} ${srcs})
  target_include_directories(fuzz_${name} PRIVATE ${TERN_FUZZ_DIR})
  target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer
    ${TERN_FUZZ_CFLAGS})
  target_link_options(fuzz_${name} PRIVATE ${san})
  target_link_libraries(fuzz_${name} PRIVATE tern_fuzzlib)

  set(dict "")
  if(EXISTS ${TERN_FUZZ_DIR}/${name}.dict)
    set(dict -dict=${TERN_FUZZ_DIR}/${name}.dict)
  endif()
  set(artifacts ${CMAKE_BINARY_DIR}/fuzz-artifacts/${name})
  set(run
    COMMAND ${CMAKE_COMMAND} -E make_directory ${artifacts} ${corpus}
    COMMAND fuzz_${name} -max_total_time=${FUZZ_SECONDS} -timeout=10
      -print_final_stats=1 ${dict} -artifact_prefix=${artifacts}/
      ${corpus})
  add_custom_target(fuzz_run_${name} ${run}
    COMMENT "fuzz_${name} for ${FUZZ_SECONDS} s over ${corpus}"
    USES_TERMINAL)
  add_dependencies(fuzz_run_${name} fuzz_${name})
  set_property(GLOBAL APPEND PROPERTY TERN_FUZZ_RUNS ${run})
  set_property(GLOBAL APPEND PROPERTY TERN_FUZZERS fuzz_${name})
endfunction()

tern_fuzz_target(frame LIBS tern_codec)
tern_fuzz_target(decode LIBS tern_codec SOURCES fuzz_mqtt.c)
tern_fuzz_target(props LIBS tern_codec SOURCES fuzz_mqtt.c)
tern_fuzz_target(topic LIBS tern_codec)
tern_fuzz_target(config LIBS tern_config)
tern_fuzz_target(passwd LIBS tern_auth)
tern_fuzz_target(acl LIBS tern_auth)
tern_fuzz_target(conn LIBS tern_broker SOURCES conn_driver.c)
tern_fuzz_target(conn_oom LIBS tern_broker SOURCES conn_driver.c)

# All of them, one after the other (each wants a core, even under -j).
if(TERN_FUZZ_ON)
  get_property(runs GLOBAL PROPERTY TERN_FUZZ_RUNS)
  get_property(fuzzers GLOBAL PROPERTY TERN_FUZZERS)
  add_custom_target(fuzz ${runs}
    COMMENT "every fuzzer for ${FUZZ_SECONDS} s" USES_TERMINAL)
  add_dependencies(fuzz ${fuzzers})
endif()
