// graph may not use db (fixture of the ctest area_layers_catches).
#pragma once
#include <rapport/io/database.hpp>
