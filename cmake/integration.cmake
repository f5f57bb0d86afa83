# The Python suites start the real ternd (the one this build made) and
# drive it with Debian's python3-paho-mqtt, mosquitto-clients and raw
# sockets. They need Debian's interpreter, which has those packages.
#
# Labels say where each suite runs in tools/test.sh: "hostile" runs in the
# ASan build only (where a memory error would show), "tsan" also in the
# ThreadSanitizer build.
set(TERN_PY /usr/bin/python3)
if(TARGET ternd AND EXISTS ${TERN_PY})
  set(TERN_PY_SUITES
    "integration|integration,tsan"
    "conformance|integration"
    "hostile|hostile")
  foreach(entry ${TERN_PY_SUITES})
    string(REPLACE "|" ";" parts "${entry}")
    list(GET parts 0 suite)
    list(GET parts 1 labels)
    string(REPLACE "," ";" labels "${labels}")
    if(EXISTS ${CMAKE_SOURCE_DIR}/tests/${suite})
      add_test(NAME py_${suite}
        COMMAND ${TERN_PY} -m pytest -q tests/${suite}
        WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
      set_tests_properties(py_${suite} PROPERTIES
        ENVIRONMENT "TERND=$<TARGET_FILE:ternd>"
        TIMEOUT 900 LABELS "${labels}")
    endif()
  endforeach()
endif()
