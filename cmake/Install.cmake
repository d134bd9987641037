include(CMakePackageConfigHelpers)
include(GNUInstallDirs)
set(RAPPORT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/rapport)

# The area libraries and the umbrella, exported as rapport::core, rapport::io, rapport::db,
# rapport::report and rapport::rapport (one export set; a consumer's find_package(rapport COMPONENTS
# ...) says which areas it uses, and the config then finds only their dependencies).
install(TARGETS rapport_core rapport_io rapport_db rapport_report rapport EXPORT rapportTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/rapport DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/rapport/export.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rapport)
install(EXPORT rapportTargets NAMESPACE rapport:: DESTINATION ${RAPPORT_CMAKE_DIR})

# A static librapport_db hands its PRIVATE link dependencies (SQLite, libpq) to its users' link.
get_target_property(_rapport_type rapport_db TYPE)
if(_rapport_type STREQUAL "STATIC_LIBRARY")
  set(RAPPORT_PACKAGE_STATIC ON)
else()
  set(RAPPORT_PACKAGE_STATIC OFF)
endif()
configure_package_config_file(cmake/rapportConfig.cmake.in
  ${PROJECT_BINARY_DIR}/rapportConfig.cmake INSTALL_DESTINATION ${RAPPORT_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rapportConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/rapportConfig.cmake ${PROJECT_BINARY_DIR}/rapportConfigVersion.cmake
  DESTINATION ${RAPPORT_CMAKE_DIR})

configure_file(cmake/rapport.pc.in ${PROJECT_BINARY_DIR}/rapport.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/rapport.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(TARGET rapport_cli)
  # The CLI and its database module, which it finds from its own folder (tools/cli/CMakeLists.txt).
  install(TARGETS rapport_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(TARGETS rapport_db_module LIBRARY DESTINATION ${RAPPORT_DB_MODULE_INSTALL_DIR})
endif()
install(DIRECTORY examples/sample DESTINATION ${CMAKE_INSTALL_DATADIR}/rapport)
