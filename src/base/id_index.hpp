// Private: customer-key interning, the one hash index (util/hash_index.hpp) over text keys.
#pragma once

#include "util/hash_index.hpp"

#include <string>

namespace rapport::detail {

/// Customer (and other people's) keys to dense indexes; the keys stay in the caller's vector.
using IdIndex = HashIndex<std::string>;

}  // namespace rapport::detail
