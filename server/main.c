/*
 * main.c — weir-server's entry point: options, log, server start, run, clean shutdown.
 */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "options.h"
#include "server.h"

int main(int argc, char **argv)
{
    weir_options opts;
    options_init(&opts);
    char err[1024];
    int rc = options_parse_args(&opts, argc, argv, err, sizeof err);
    if (rc == OPTIONS_EXIT) {
        options_free(&opts);
        return 0;
    }
    if (rc == OPTIONS_ERROR) {
        fprintf(stderr, "weir-server: %s\n", err);
        options_free(&opts);
        return 1;
    }
    if (log_open(opts.log_file, opts.debug, opts.trace) < 0) {
        fprintf(stderr, "weir-server: cannot open log file %s\n", opts.log_file);
        options_free(&opts);
        return 1;
    }
    server s;
    int status = 0;
    if (server_start(&s, &opts) == 0) {
        if (server_run(&s) < 0) {
            log_error("event loop failed");
            status = 1;
        }
    } else {
        status = 1;
    }
    server_stop(&s);
    log_close();
    options_free(&opts);
    return status;
}
