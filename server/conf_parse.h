/*
 * conf_parse.h — nats-server's configuration format parsed into a small generic value tree.
 *
 * The format (nats-server conf/lex.go, conf/parse.go): `key: value`, `key = value` or
 * `key value`; maps `{ }`, arrays `[ ]`; comments `#` and `//`; single-quoted (raw),
 * double-quoted (escapes \t \n \r \" \\ \xHH) and unquoted strings; integers with size
 * suffixes (k=1000, kb/ki/kib=1024, m, mb, g, gb, t, tb, p, pb, e, eb; case-insensitive);
 * floats; booleans true/false/yes/no/on/off; `include FILE` (relative to the including file);
 * `$NAME` references to a key defined earlier in an enclosing map, else to the environment.
 * An unquoted `$2a$...`/`$2b$...`/`$2y$...` is a bcrypt hash, not a reference.
 *
 * This layer knows nothing about weir's options: conf.c walks the tree and applies it.
 *
 * Ownership: a conf_doc owns its whole tree and the file names every conf_pos points at;
 * conf_doc_free() releases all of it. Nothing here keeps global state.
 */
#ifndef WEIR_CONF_PARSE_H
#define WEIR_CONF_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum conf_type {
    CONF_STRING,
    CONF_INT,
    CONF_FLOAT,
    CONF_BOOL,
    CONF_ARRAY,
    CONF_MAP,
} conf_type;

/* Where something was written: file name (owned by the conf_doc), 1-based line and column
 * (column counted in bytes). A value taken from a $variable carries the reference's place. */
typedef struct conf_pos {
    const char *file;
    int line;
    int col;
} conf_pos;

#define CONF_FLAG_SUFFIX 1u   /* CONF_INT written with a size suffix, e.g. 1MB, 64k, 2m */
#define CONF_FLAG_VARIABLE 2u /* the value came from a $variable reference */

typedef struct conf_value conf_value;

/* One key of a map, in the order first written (a later duplicate replaces the value). */
typedef struct conf_entry {
    char *key;             /* as written (quotes removed); compare case-insensitively */
    conf_pos pos;          /* the key's position */
    conf_value *value;
    bool used_as_variable; /* some $reference resolved to this entry */
} conf_entry;

struct conf_value {
    conf_type type;
    conf_pos pos;   /* the value's first character */
    unsigned flags; /* CONF_FLAG_* */
    char *text;     /* CONF_STRING: the string; CONF_INT/CONF_FLOAT: the number as written */
    int64_t i;      /* CONF_INT */
    double f;       /* CONF_FLOAT */
    bool b;         /* CONF_BOOL */
    conf_value **items; /* CONF_ARRAY */
    conf_entry *entries; /* CONF_MAP */
    size_t n;            /* number of items or entries */
    size_t cap;
};

typedef struct conf_doc {
    conf_value *root; /* always a CONF_MAP */
    char **files;     /* every file name positions point at */
    size_t nfiles;
} conf_doc;

/* Parses the file at path. Returns the document, or NULL with a one-line message in err:
 * "FILE:LINE:COL: message" for errors in the text, "FILE: message" when it cannot be read. */
conf_doc *conf_parse_file(const char *path, char *err, size_t errlen);

/* Parses NUL-terminated text; name appears in positions and messages, and its directory is the
 * base for relative includes. */
conf_doc *conf_parse_string(const char *name, const char *text, char *err, size_t errlen);

void conf_doc_free(conf_doc *doc);

/* Human name of a type for messages: "string", "integer", "float", "boolean", "array", "map". */
const char *conf_type_name(conf_type t);

#endif
