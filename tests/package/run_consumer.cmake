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
# Configures, builds and runs one consumer project of tests/package against the prefix.
function(build_and_run source build binary)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${source} -B ${build}
                          -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
                          "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_LINK_FLAGS}"
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "configuring ${source} against the installed package failed")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${build} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "building ${source} failed")
  endif()
  execute_process(COMMAND ${build}/${binary} WORKING_DIRECTORY ${build} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "the consumer ${binary} failed")
  endif()
endfunction()

# The umbrella rapport::rapport (every area).
build_and_run(${RAPPORT_SOURCE_DIR}/tests/package ${CONSUMER_DIR}/build consumer)

# rapport::core alone: builds, runs, and needs neither libpq nor libsqlite3 (ldd lists every
# shared library the binary loads, directly or through another).
build_and_run(${RAPPORT_SOURCE_DIR}/tests/package/core ${CONSUMER_DIR}/build-core core_consumer)
execute_process(COMMAND ldd ${CONSUMER_DIR}/build-core/core_consumer OUTPUT_VARIABLE _needed RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "ldd core_consumer failed")
endif()
if(_needed MATCHES "libpq|libsqlite3|librapport_io|librapport_db|librapport_report")
  message(FATAL_ERROR "the rapport::core consumer loads ${CMAKE_MATCH_0}:\n${_needed}")
endif()

# rapport::io (with core beneath it): loads CSV files and writes the scores CSV; it too needs
# neither libpq nor libsqlite3.
build_and_run(${RAPPORT_SOURCE_DIR}/tests/package/io ${CONSUMER_DIR}/build-io io_consumer)
execute_process(COMMAND ldd ${CONSUMER_DIR}/build-io/io_consumer OUTPUT_VARIABLE _needed RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "ldd io_consumer failed")
endif()
if(_needed MATCHES "libpq|libsqlite3|librapport_db|librapport_report")
  message(FATAL_ERROR "the rapport::io consumer loads ${CMAKE_MATCH_0}:\n${_needed}")
endif()

# The installed CLI (when the build has one): it links no database client, and a `--db sqlite:`
# command finds the database module at its installed place (lib/rapport/ beside bin/) and reads
# the scores the CSV files give.
if(EXISTS ${RAPPORT_BINARY_DIR}/tools/cli/rapport)
  set(cli ${prefix}/bin/rapport)
  set(sample ${RAPPORT_SOURCE_DIR}/examples/sample)
  execute_process(COMMAND ldd ${cli} OUTPUT_VARIABLE _needed RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "ldd ${cli} failed (is the CLI installed?)")
  endif()
  if(_needed MATCHES "libpq|libsqlite3")
    message(FATAL_ERROR "the installed rapport command links ${CMAKE_MATCH_0}:\n${_needed}")
  endif()
  set(db ${CONSUMER_DIR}/sample.db)
  foreach(step IN ITEMS "import;${sample};--db;sqlite:${db}"
                        "score;--db;sqlite:${db};--out;${CONSUMER_DIR}/from_db.csv;--quiet"
                        "score;${sample};--out;${CONSUMER_DIR}/from_csv.csv;--quiet")
    execute_process(COMMAND ${cli} ${step} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE _err)
    if(rc)
      message(FATAL_ERROR "the installed CLI failed (${rc}) on `rapport ${step}`:\n${_err}")
    endif()
  endforeach()
  file(SHA256 ${CONSUMER_DIR}/from_db.csv _db_hash)
  file(SHA256 ${CONSUMER_DIR}/from_csv.csv _csv_hash)
  if(NOT _db_hash STREQUAL _csv_hash)
    message(FATAL_ERROR "the installed CLI's scores from SQLite differ from its scores of the CSV files")
  endif()
endif()
