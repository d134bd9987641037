// base may not use scoring (fixture of the ctest area_layers_catches).
#include "scoring/score_steps.hpp"

#include <vector>
