# The Python suites start the real ternd (the one this build made) and
# drive it with Debian's python3-paho-mqtt, mosquitto-clients and raw
# sockets. They need Debian's interpreter, which has those packages.
set(TERN_PY /usr/bin/python3)
if(TARGET ternd AND EXISTS ${TERN_PY})
  foreach(suite integration conformance)
    if(EXISTS ${CMAKE_SOURCE_DIR}/tests/${suite})
      add_test(NAME py_${suite}
        COMMAND ${TERN_PY} -m pytest -q tests/${suite}
        WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
      set_tests_properties(py_${suite} PROPERTIES
        ENVIRONMENT "TERND=$<TARGET_FILE:ternd>"
        TIMEOUT 900 LABELS "integration;tsan")
    endif()
  endforeach()
endif()
