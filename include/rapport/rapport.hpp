/// @file rapport.hpp
/// Umbrella header: everything public in rapport.
#pragma once

#include <rapport/base/data.hpp>
#include <rapport/base/time.hpp>
#include <rapport/error.hpp>
#include <rapport/graph/centrality.hpp>
#include <rapport/io/database.hpp>
#include <rapport/io/edge_list.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/io/html_report.hpp>
#include <rapport/io/load.hpp>
#include <rapport/io/writers.hpp>
#include <rapport/scoring/config.hpp>
#include <rapport/scoring/referral.hpp>
#include <rapport/scoring/score.hpp>
#include <rapport/scoring/scorer.hpp>
#include <rapport/value/value.hpp>
#include <rapport/version.hpp>
