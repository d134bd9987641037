/// @file error.hpp
/// One error hierarchy: every exception rapport throws on purpose is a rapport::Error of one kind.
#pragma once

#include <rapport/export.hpp>

#include <stdexcept>
#include <string>

namespace rapport {

/// What went wrong, coarsely: decides the CLI exit code (see exit_code()).
enum class ErrorKind {
  input,   ///< unusable input: a missing file or column, a rejected row in strict mode
  config,  ///< a setting outside its documented domain, an unknown setting
  fit,     ///< a value model that cannot be fitted (only raised in strict mode or by fit_*)
  output,  ///< an output that must not be written (an input, a duplicate) or could not be written
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

/// The command-line exit code of an error kind: 2 input/config/output refused, 3 fit; every
/// other failure (not a rapport::Error) exits 1.
constexpr int exit_code(ErrorKind kind) noexcept { return kind == ErrorKind::fit ? 3 : 2; }

}  // namespace rapport
