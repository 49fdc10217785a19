// GSL's default error handler aborts the process; a fit reports instead.
// Holding one of these turns the handler off for its scope (the caller
// checks each GSL status itself).
#pragma once
#include <gsl/gsl_errno.h>

namespace forksim {

struct GslErrorsReturned {
  gsl_error_handler_t* old = gsl_set_error_handler_off();
  ~GslErrorsReturned() { gsl_set_error_handler(old); }
  GslErrorsReturned() = default;
  GslErrorsReturned(const GslErrorsReturned&) = delete;
  GslErrorsReturned& operator=(const GslErrorsReturned&) = delete;
};

}  // namespace forksim
