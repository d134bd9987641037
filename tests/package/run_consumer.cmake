# Installs the build tree into a scratch prefix and builds/runs the consumer against it.
set(prefix ${CONSUMER_DIR}/prefix)
file(REMOVE_RECURSE ${CONSUMER_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${RAPPORT_BINARY_DIR} --prefix ${prefix} --component Unspecified
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "install failed: ${rc}")
endif()
# The package asks its users only for the PUBLIC dependencies: the header-only private ones stay
# out of the config and the exported link interface.
file(GLOB _package_files ${prefix}/lib*/cmake/rapport/*.cmake)
foreach(f IN LISTS _package_files)
  file(READ ${f} _text)
  if(_text MATCHES "Eigen|nlohmann|CLI11")
    message(FATAL_ERROR "${f} names a private dependency (${CMAKE_MATCH_0})")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${RAPPORT_SOURCE_DIR}/tests/package -B ${CONSUMER_DIR}/build
                        -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
                        "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_LINK_FLAGS}"
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer against the installed package failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${CONSUMER_DIR}/build RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer failed")
endif()
execute_process(COMMAND ${CONSUMER_DIR}/build/consumer RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the consumer failed")
endif()
