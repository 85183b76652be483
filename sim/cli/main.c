/* main.c -- the balloonsim program: everything is in cli.c (so that the
 * command table can grow in the library and tests link it); main() only
 * turns cli_main()'s bs_rc into the exit status, the one place allowed to.
 *
 * GSL's default error handler aborts the process (for example when an
 * allocation fails inside gsl_rng_alloc); balloonsim checks every GSL return
 * value itself and reports exit code 3 instead, so the handler is turned off
 * before anything else runs. */
#include "sim/cli/cli.h"

#include <gsl/gsl_errno.h>

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    return cli_main(argc, argv);
}
