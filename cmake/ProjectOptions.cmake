# Opt-in build hygiene options, applied PRIVATE to the project's own targets
# (after cmake_template's ProjectOptions and spdlog's cmake/utils.cmake).
include_guard(GLOBAL)
include(GNUInstallDirs)

option(RAPPORT_WARNINGS "Enable a strict warning set on rapport's own targets" OFF)
option(RAPPORT_WERROR "Treat warnings as errors (with RAPPORT_WARNINGS)" OFF)
option(RAPPORT_SANITIZE "Build with AddressSanitizer + UndefinedBehaviorSanitizer" OFF)
option(RAPPORT_NATIVE "Tune for the building machine (-march=native)" OFF)

function(rapport_set_project_options target)
  if(RAPPORT_WARNINGS)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
      -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused
      -Woverloaded-virtual -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
    if(RAPPORT_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
  if(RAPPORT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(RAPPORT_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
endfunction()
