cmake_minimum_required(VERSION 3.25)
# The repository stands alone: no file in it may point at data or documents outside it (a
# sibling checkout's data folder, a workstation path). Usage:
#   cmake -DRAPPORT_SOURCE_DIR=<repository> -P tests/self_contained.cmake
# Files are those git tracks (and those it would add: untracked, not ignored); outside a git
# checkout (a source tarball), every file under the tree except build*/ folders.
if(NOT RAPPORT_SOURCE_DIR)
  message(FATAL_ERROR "pass -DRAPPORT_SOURCE_DIR=<repository>")
endif()

# The needles are assembled, so that this file does not name them itself.
set(_up "..")
set(_dir "shared")
set(RAPPORT_FORBIDDEN "${_up}/${_dir}" "/work/${_dir}" "${_dir}/data" "\"${_dir}\" / \"data\"")

find_program(RAPPORT_GIT git)
set(_files "")
if(RAPPORT_GIT AND EXISTS "${RAPPORT_SOURCE_DIR}/.git")
  execute_process(COMMAND ${RAPPORT_GIT} ls-files --cached --others --exclude-standard
                  WORKING_DIRECTORY ${RAPPORT_SOURCE_DIR} OUTPUT_VARIABLE _out RESULT_VARIABLE _rc)
  if(_rc EQUAL 0)
    string(REPLACE "\n" ";" _files "${_out}")
  endif()
endif()
if(_files STREQUAL "")
  file(GLOB_RECURSE _files RELATIVE ${RAPPORT_SOURCE_DIR} ${RAPPORT_SOURCE_DIR}/*)
  list(FILTER _files EXCLUDE REGEX "^(build[^/]*|\\.git)/")
endif()

set(_hits "")
set(_count 0)
foreach(f IN LISTS _files)
  if(f STREQUAL "" OR NOT EXISTS "${RAPPORT_SOURCE_DIR}/${f}" OR IS_DIRECTORY "${RAPPORT_SOURCE_DIR}/${f}")
    continue()
  endif()
  math(EXPR _count "${_count} + 1")
  file(READ "${RAPPORT_SOURCE_DIR}/${f}" _text)
  foreach(needle IN LISTS RAPPORT_FORBIDDEN)
    string(FIND "${_text}" "${needle}" _at)
    if(NOT _at EQUAL -1)
      string(REGEX REPLACE "([][.*+?^$()|\\])" "\\\\\\1" _pattern "${needle}")
      file(STRINGS "${RAPPORT_SOURCE_DIR}/${f}" _lines REGEX "${_pattern}")
      string(APPEND _hits "  ${f}: names '${needle}': ${_lines}\n")
    endif()
  endforeach()
endforeach()

if(_count EQUAL 0)
  message(FATAL_ERROR "no files found under ${RAPPORT_SOURCE_DIR}")
endif()
if(NOT _hits STREQUAL "")
  message(FATAL_ERROR "the repository points outside itself:\n${_hits}")
endif()
message(STATUS "${_count} files checked: none points outside the repository")
