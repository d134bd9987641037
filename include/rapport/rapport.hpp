/// @file rapport.hpp
/// Umbrella header: everything public in rapport.
#pragma once

#include <rapport/centrality.hpp>
#include <rapport/config.hpp>
#include <rapport/data.hpp>
#include <rapport/generate.hpp>
#include <rapport/referral.hpp>
#include <rapport/score.hpp>
#include <rapport/time.hpp>
#include <rapport/value.hpp>
#include <rapport/version.hpp>
