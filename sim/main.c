/* main.c -- the balloonsim program: everything is in cli.c (so that the
 * command table can grow in the library and tests link it); main() only
 * turns cli_main()'s bs_rc into the exit status, the one place allowed to. */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
