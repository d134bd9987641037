/// @file error.hpp
/// One error hierarchy: every exception rapport throws on purpose is a rapport::Error of one kind.
#pragma once

#include <rapport/export.hpp>

#include <stdexcept>
#include <string>

namespace rapport {

/// What went wrong, coarsely: decides the CLI exit code (see exit_code()).
enum class ErrorKind {
  input,      ///< unusable input: a missing file or column, a rejected row in strict mode
  config,     ///< a setting outside its documented domain, an unknown setting
  fit,        ///< a value model that cannot be fitted (only raised in strict mode or by fit_*)
  output,     ///< an output that must not be written (an input, a duplicate) or could not be written
  usage,      ///< a call outside a function's contract: arguments that disagree, a malformed graph, a wrong order
  not_found,  ///< a row or customer asked for that is not there
  internal,   ///< a broken invariant inside rapport (a bug: please report it)
};

/// Base of every error rapport raises on purpose. `what()` is a complete, human-readable message.
class RAPPORT_API Error : public std::runtime_error {
public:
  /// An error of kind `kind` with message `message`.
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  /// The kind of error.
  ErrorKind kind() const noexcept { return kind_; }

private:
  ErrorKind kind_;
};

/// Unusable input as a whole: a missing file, a missing required column, or (in strict mode) any
/// rejected row.
class RAPPORT_API InputError : public Error {
public:
  /// An input error with message `message`.
  explicit InputError(const std::string& message) : Error(ErrorKind::input, message) {}
};

/// A setting outside its documented domain (the message names the field), or an unknown key.
class RAPPORT_API ConfigError : public Error {
public:
  /// A config error with message `message`.
  explicit ConfigError(const std::string& message) : Error(ErrorKind::config, message) {}
};

/// A value model that cannot be fitted: too few customers, no repeat buyer, no convergence.
class RAPPORT_API FitError : public Error {
public:
  /// A fit error with message `message`.
  explicit FitError(const std::string& message) : Error(ErrorKind::fit, message) {}
};

/// An output refused (it is an input or another output of the run) or that could not be written.
class RAPPORT_API OutputError : public Error {
public:
  /// An output error with message `message`.
  explicit OutputError(const std::string& message) : Error(ErrorKind::output, message) {}
};

/// A call outside a function's contract: arguments that disagree (spans of different lengths), a
/// malformed graph, a call out of order.
class RAPPORT_API UsageError : public Error {
public:
  /// A usage error with message `message`.
  explicit UsageError(const std::string& message) : Error(ErrorKind::usage, message) {}
};

/// A row or customer asked for (e.g. by Scorer::explain) that is not there.
class RAPPORT_API NotFoundError : public Error {
public:
  /// A not-found error with message `message`.
  explicit NotFoundError(const std::string& message) : Error(ErrorKind::not_found, message) {}
};

/// A broken invariant inside rapport: a bug, never the input's fault.
class RAPPORT_API InternalError : public Error {
public:
  /// An internal error with message `message`.
  explicit InternalError(const std::string& message) : Error(ErrorKind::internal, message) {}
};

/// The command-line exit code of an error kind (the one place that maps them): 3 fit; 1 internal,
/// like every other failure that is not a rapport::Error; 2 every other kind (input, config,
/// output, usage, not found).
constexpr int exit_code(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::fit:
      return 3;
    case ErrorKind::internal:
      return 1;
    case ErrorKind::input:
    case ErrorKind::config:
    case ErrorKind::output:
    case ErrorKind::usage:
    case ErrorKind::not_found:
      return 2;
  }
  return 1;
}

}  // namespace rapport
