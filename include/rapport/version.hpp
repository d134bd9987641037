/// @file version.hpp
/// Library version.
#pragma once

/// Major version.
#define RAPPORT_VERSION_MAJOR 0
/// Minor version.
#define RAPPORT_VERSION_MINOR 1
/// Patch version.
#define RAPPORT_VERSION_PATCH 0
/// Version string.
#define RAPPORT_VERSION_STRING "0.1.0"
