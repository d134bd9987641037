# Opt-in build hygiene options, applied PRIVATE to the project's own targets
# (after cmake_template's ProjectOptions and spdlog's cmake/utils.cmake).
include_guard(GLOBAL)
include(GNUInstallDirs)

option(RAPPORT_WARNINGS "Enable a strict warning set on rapport's own targets" OFF)
option(RAPPORT_WERROR "Treat warnings as errors (with RAPPORT_WARNINGS)" OFF)
# RAPPORT_SANITIZE: OFF; ON or address (AddressSanitizer + UndefinedBehaviorSanitizer); thread
# (ThreadSanitizer, which excludes ASan). g++ needs the flag on both compile and link.
set(RAPPORT_SANITIZE OFF CACHE STRING "Sanitizers: OFF, ON/address (ASan + UBSan) or thread (TSan)")
set_property(CACHE RAPPORT_SANITIZE PROPERTY STRINGS OFF ON address thread)
if(RAPPORT_SANITIZE STREQUAL "thread")
  set(RAPPORT_SANITIZE_FLAGS -fsanitize=thread)
elseif(RAPPORT_SANITIZE STREQUAL "address" OR RAPPORT_SANITIZE)
  set(RAPPORT_SANITIZE_FLAGS -fsanitize=address,undefined)
else()
  set(RAPPORT_SANITIZE_FLAGS "")
endif()
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
  if(RAPPORT_SANITIZE STREQUAL "thread")
    # g++ 12's TSan instrumentation makes -Wnull-dereference see null pointers inside
    # libstdc++'s std::function (std_function.h) that no run can reach; the other builds keep it.
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer -Wno-null-dereference)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  elseif(RAPPORT_SANITIZE_FLAGS)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(RAPPORT_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
endfunction()
