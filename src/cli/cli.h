/* mnistlab program: the command-line parts shared by main.c. */
#ifndef ML_CLI_CLI_H
#define ML_CLI_CLI_H

typedef struct cli_opts {
    const char *out;    /* --out REPORT.md */
    int in_place;       /* --in-place */
    int stop_on_error;  /* --stop-on-error */
    int ascii;          /* --ascii (or a locale that is not UTF-8) */
    int color;          /* colours wanted (terminal, no NO_COLOR, no --no-color) */
    int width;          /* --width N for pictures in reports (0: 80) */
    int times;          /* --times: seconds per cell and per ## section on stderr */
} cli_opts;

/* mnistlab run NOTEBOOK.md: 0 when every cell ran, 1 if one failed, 2 for
 * bad usage or an unreadable notebook. */
int cli_run_notebook(const char *path, const cli_opts *o);
/* mnistlab -i: a Lua prompt with the module loaded. */
int cli_repl(const cli_opts *o);
/* mnistlab SCRIPT.lua ARGS */
int cli_run_script(const char *path, int argc, char **argv, const cli_opts *o);

#endif
