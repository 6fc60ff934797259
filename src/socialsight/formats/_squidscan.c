/*
 * socialsight.formats._squidscan: one pass over Squid native lines, in C.
 *
 * scan(body, first_line, max_chars) cuts a buffer of whole UTF-8 lines (each ending in "\n")
 * into the columns that socialsight.formats.squid.SquidNative.parse_bytes needs, with exactly
 * the semantics of the pyarrow reference (SquidNative.parse): lines trimmed of " \t\r\n\f\v",
 * blank lines skipped, fields split on runs of those characters, the low-cardinality fields
 * dictionary-encoded, numbers checked against the same regular expressions. Everything that
 * depends only on a distinct value (result codes, hosts, ...) is left to Python, which runs it
 * once per distinct value.
 *
 * Columns come back as ScanBuffer objects (the buffer protocol over memory allocated here), so
 * Python wraps them into Arrow arrays without a copy. The scan itself runs without the GIL:
 * ingest parses chunks on two threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Arrow string arrays use int32 offsets: stay well below 2 GiB. */
#define MAX_BODY ((Py_ssize_t)1 << 30)
#define NFIELDS 10

enum { F_TIME, F_ELAPSED, F_CLIENT, F_CODE, F_BYTES, F_METHOD, F_URL, F_USER, F_HIER, F_MIME };

/* The dictionary-encoded columns, in the order of DICT_NAMES. */
enum { D_CLIENT, D_CODE, D_METHOD, D_USER, D_HIER, D_MIME, D_URLKEY, NDICTS };
static const char *const DICT_NAMES[NDICTS] = {"client", "code", "method", "user",
                                               "hier",   "mime", "url_key"};
static const int DICT_FIELDS[NDICTS] = {F_CLIENT, F_CODE, F_METHOD, F_USER,
                                        F_HIER,   F_MIME, F_URL};

/* " \t\n\v\f\r": what utf8_trim(BLANK_CHARS) strips and ascii_split_whitespace splits on. */
static unsigned char IS_WS[256];

/* ---------------------------------------------------------------- buffers handed to Python */

typedef struct {
    PyObject_HEAD
    void *data;
    Py_ssize_t len;
} ScanBuffer;

static char EMPTY[1];

static int scanbuffer_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    ScanBuffer *buf = (ScanBuffer *)self;
    return PyBuffer_FillInfo(view, self, buf->data ? buf->data : EMPTY, buf->len, 1, flags);
}

static void scanbuffer_dealloc(PyObject *self) {
    free(((ScanBuffer *)self)->data);
    Py_TYPE(self)->tp_free(self);
}

static PyBufferProcs scanbuffer_as_buffer = {scanbuffer_getbuffer, NULL};

static PyTypeObject ScanBufferType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "socialsight.formats._squidscan.ScanBuffer",
    .tp_basicsize = sizeof(ScanBuffer),
    .tp_dealloc = scanbuffer_dealloc,
    .tp_as_buffer = &scanbuffer_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Read-only memory filled by scan(); supports the buffer protocol.",
};

/* ---------------------------------------------------------------- growable memory */

typedef struct {
    unsigned char *data;
    size_t len;
    size_t cap;
} Vec;

/* Room for `extra` more bytes; 0 when memory ran out. */
static int vec_reserve(Vec *v, size_t extra) {
    if (v->len + extra <= v->cap) {
        return 1;
    }
    size_t cap = v->cap ? v->cap : 4096;
    while (cap < v->len + extra) {
        cap *= 2;
    }
    unsigned char *data = realloc(v->data, cap);
    if (!data) {
        return 0;
    }
    v->data = data;
    v->cap = cap;
    return 1;
}

static int vec_append(Vec *v, const void *src, size_t n) {
    if (!vec_reserve(v, n)) {
        return 0;
    }
    if (n) {
        memcpy(v->data + v->len, src, n);
    }
    v->len += n;
    return 1;
}

/* ---------------------------------------------------------------- dictionaries */

typedef struct {
    uint64_t hash;
    uint32_t start; /* offset in the body */
    uint32_t len;
} Entry;

typedef struct {
    uint32_t *slots; /* entry index + 1; 0 is empty */
    size_t mask;
    Entry *entries;
    size_t n;
    size_t cap;
    int32_t *indices; /* one per kept row */
} Dict;

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LITTLE_ENDIAN_WORDS 1
#else
#define LITTLE_ENDIAN_WORDS 0
#define __builtin_ctzll(x) 0 /* never reached: the word loops are off */
#endif

/* The n (< 8) bytes at p as a word. One 8-byte load when 8 bytes are readable before `end`:
 * a variable-length memcpy into a word stalls on store forwarding and was a fifth of the scan. */
static inline uint64_t load_partial(const unsigned char *p, size_t n, const unsigned char *end) {
    if (LITTLE_ENDIAN_WORDS && (size_t)(end - p) >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        return w & ((UINT64_C(1) << (8 * n)) - 1);
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/* A fast multiplicative hash over 8-byte words. Only equality within one scan matters. */
static inline uint64_t hash_bytes(const unsigned char *p, size_t n, const unsigned char *end) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xC2B2AE3D27D4EB4FULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    if (n) {
        h = (h ^ load_partial(p, n, end)) * 0xFF51AFD7ED558CCDULL;
    }
    h ^= h >> 29;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 32;
    return h;
}

/* memcmp(a, b, n) == 0 inline: the values are short, and the call was a tenth of the scan. */
static inline int bytes_equal(const unsigned char *a, const unsigned char *b, size_t n,
                              const unsigned char *end) {
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) {
            return 0;
        }
        a += 8;
        b += 8;
        n -= 8;
    }
    return n == 0 || load_partial(a, n, end) == load_partial(b, n, end);
}

static int dict_init(Dict *d, size_t rows) {
    memset(d, 0, sizeof(*d));
    d->mask = 1023;
    d->slots = calloc(d->mask + 1, sizeof(uint32_t));
    d->cap = 256;
    d->entries = malloc(d->cap * sizeof(Entry));
    d->indices = malloc((rows ? rows : 1) * sizeof(int32_t));
    return d->slots && d->entries && d->indices;
}

static void dict_free(Dict *d) {
    free(d->slots);
    free(d->entries);
    free(d->indices);
    memset(d, 0, sizeof(*d));
}

static int dict_grow(Dict *d) {
    size_t size = (d->mask + 1) * 2;
    uint32_t *slots = calloc(size, sizeof(uint32_t));
    if (!slots) {
        return 0;
    }
    for (size_t i = 0; i < d->n; i++) {
        size_t s = (size_t)d->entries[i].hash & (size - 1);
        while (slots[s]) {
            s = (s + 1) & (size - 1);
        }
        slots[s] = (uint32_t)(i + 1);
    }
    free(d->slots);
    d->slots = slots;
    d->mask = size - 1;
    return 1;
}

/* Index of the value body[start:start+len], added when new; -1 when memory ran out. */
static inline int32_t dict_index(Dict *d, const unsigned char *base, const unsigned char *end,
                                 uint32_t start, uint32_t len) {
    const unsigned char *p = base + start;
    uint64_t h = hash_bytes(p, len, end);
    size_t s = (size_t)h & d->mask;
    for (;;) {
        uint32_t slot = d->slots[s];
        if (!slot) {
            break;
        }
        const Entry *e = &d->entries[slot - 1];
        if (e->hash == h && e->len == len && bytes_equal(base + e->start, p, len, end)) {
            return (int32_t)(slot - 1);
        }
        s = (s + 1) & d->mask;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap * 2;
        Entry *entries = realloc(d->entries, cap * sizeof(Entry));
        if (!entries) {
            return -1;
        }
        d->entries = entries;
        d->cap = cap;
    }
    Entry *e = &d->entries[d->n];
    e->hash = h;
    e->start = start;
    e->len = len;
    d->slots[s] = (uint32_t)(d->n + 1);
    d->n++;
    /* Keep the load at most one half, so that probes stay short. */
    if (d->n * 2 > d->mask + 1 && !dict_grow(d)) {
        return -1;
    }
    return (int32_t)(d->n - 1);
}

/* ---------------------------------------------------------------- field rules */

/* ^\d{1,10}(?:\.\d{1,6})?$ -> microseconds since the epoch. */
static inline int parse_time(const unsigned char *p, size_t n, int64_t *out) {
    size_t i = 0;
    int64_t sec = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9') {
        sec = sec * 10 + (p[i] - '0');
        i++;
        if (i > 10) {
            return 0;
        }
    }
    if (i == 0) {
        return 0;
    }
    int64_t frac = 0;
    if (i < n) {
        if (p[i] != '.') {
            return 0;
        }
        i++;
        size_t digits = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            frac = frac * 10 + (p[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || digits > 6 || i != n) {
            return 0;
        }
        /* The fraction is right-padded to six digits. */
        for (; digits < 6; digits++) {
            frac *= 10;
        }
    }
    *out = sec * 1000000 + frac;
    return 1;
}

enum { NUM_VALUE, NUM_NULL, NUM_BAD };

/* "-" is null; otherwise an optional minus (when allowed) and 1..max_digits digits. */
static inline int parse_number(const unsigned char *p, size_t n, int allow_minus,
                               size_t max_digits, int64_t *out) {
    if (n == 1 && p[0] == '-') {
        return NUM_NULL;
    }
    size_t i = 0;
    int negative = 0;
    if (allow_minus && n > 0 && p[0] == '-') {
        negative = 1;
        i = 1;
    }
    size_t digits = n - i;
    if (digits == 0 || digits > max_digits) {
        return NUM_BAD;
    }
    int64_t v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return NUM_BAD;
        }
        v = v * 10 + (p[i] - '0');
    }
    *out = negative ? -v : v;
    return NUM_VALUE;
}

static inline int is_alpha(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Length of the ^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]* prefix of an absolute URL, or 0. */
static inline size_t absolute_prefix(const unsigned char *p, size_t n) {
    if (n == 0 || !is_alpha(p[0])) {
        return 0;
    }
    size_t i = 1;
    while (i < n && (is_alpha(p[i]) || (p[i] >= '0' && p[i] <= '9') || p[i] == '+' ||
                     p[i] == '.' || p[i] == '-')) {
        i++;
    }
    if (i + 3 > n || p[i] != ':' || p[i + 1] != '/' || p[i + 2] != '/') {
        return 0;
    }
    i += 3;
    while (i < n && p[i] != '/' && p[i] != '?' && p[i] != '#') {
        i++;
    }
    return i;
}

/* The method upper-cased is CONNECT. ASCII case folding is enough: no other character
 * upper-cases to one of C, O, N, E, T (and a non-ASCII method is rejected anyway). */
static inline int is_connect(const unsigned char *p, size_t n) {
    static const char connect[] = "CONNECT";
    if (n != 7) {
        return 0;
    }
    for (size_t i = 0; i < 7; i++) {
        unsigned char c = p[i];
        if (c >= 'a' && c <= 'z') {
            c = (unsigned char)(c - 'a' + 'A');
        }
        if (c != (unsigned char)connect[i]) {
            return 0;
        }
    }
    return 1;
}

/* At a non-ASCII byte: the length of the well-formed UTF-8 sequence starting there, or minus
 * the length of its maximal ill-formed prefix (Unicode's "maximal subpart", which Python's
 * decoder replaces by one U+FFFD). Strict as Python: no overlong forms, no surrogates, at
 * most U+10FFFF. */
static inline int utf8_sequence(const unsigned char *p, size_t n) {
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    int need;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) {
            lo = 0xA0;
        } else if (c == 0xED) {
            hi = 0x9F;
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) {
            lo = 0x90;
        } else if (c == 0xF4) {
            hi = 0x8F;
        }
    } else {
        return -1;
    }
    for (int k = 1; k <= need; k++) {
        if ((size_t)k >= n || p[k] < lo || p[k] > hi) {
            return -k;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

static inline int ascii_word(const unsigned char *p, size_t left) {
    if (left < 8) {
        return 0;
    }
    uint64_t w;
    memcpy(&w, p, 8);
    return !(w & 0x8080808080808080ULL);
}

static int utf8_valid(const unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (ascii_word(p + i, n - i)) {
            i += 8;
        } else if (p[i] < 0x80) {
            i++;
        } else {
            int len = utf8_sequence(p + i, n - i);
            if (len < 0) {
                return 0;
            }
            i += (size_t)len;
        }
    }
    return 1;
}

/* Copy p[0..n) to out (when not NULL) with every maximal ill-formed subsequence replaced by
 * U+FFFD, as bytes.decode("utf-8", "replace"); returns the length of the result. */
static size_t utf8_replace(const unsigned char *p, size_t n, unsigned char *out) {
    static const unsigned char replacement[3] = {0xEF, 0xBF, 0xBD};
    size_t i = 0, o = 0;
    while (i < n) {
        size_t take;
        const unsigned char *src = p + i;
        if (ascii_word(p + i, n - i)) {
            take = 8;
        } else if (p[i] < 0x80) {
            take = 1;
        } else {
            int len = utf8_sequence(p + i, n - i);
            if (len < 0) {
                i += (size_t)-len;
                if (out) {
                    memcpy(out + o, replacement, 3);
                }
                o += 3;
                continue;
            }
            take = (size_t)len;
        }
        if (out) {
            memcpy(out + o, src, take);
        }
        i += take;
        o += take;
    }
    return o;
}

static inline size_t utf8_chars(const unsigned char *p, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        count += (p[i] & 0xC0) != 0x80;
    }
    return count;
}

/* The first blank character at or after p. The line's own end (its newline or trailing
 * blanks) stops the search; a word at a time: most bytes of a field are not control bytes. */
static inline const unsigned char *field_end(const unsigned char *p, const unsigned char *end) {
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t highs = 0x8080808080808080ULL;
    while (LITTLE_ENDIAN_WORDS && end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        /* The high bit marks bytes below 0x21 (exact for the lowest such byte). */
        uint64_t low = (w - ones * 0x21) & ~w & highs;
        if (!low) {
            p += 8;
            continue;
        }
        p += __builtin_ctzll(low) / 8;
        if (IS_WS[*p]) {
            return p;
        }
        p++; /* another control byte: part of the field */
    }
    while (!IS_WS[*p]) {
        p++;
    }
    return p;
}

#if defined(__SSE2__)
/* One bit per byte of p[0..64): set for the blank characters. SSE2 is part of x86-64. */
static inline uint64_t blank_mask64(const unsigned char *p) {
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i four = _mm_set1_epi8(4);
    uint64_t mask = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        /* \t \n \v \f \r are 9..13: v - 9 is at most 4 (unsigned) exactly for them. */
        __m128i t = _mm_sub_epi8(v, tab);
        __m128i blank =
            _mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(_mm_min_epu8(t, four), t));
        mask |= (uint64_t)(uint16_t)_mm_movemask_epi8(blank) << (16 * k);
    }
    return mask;
}
#endif

/* The blank mask of the 64 bytes at p, bytes at or after the line's end `b` counted blank. */
static inline uint64_t line_mask64(const unsigned char *p, const unsigned char *b,
                                   const unsigned char *end) {
    uint64_t mask;
#if defined(__SSE2__)
    if (end - p >= 64) {
        mask = blank_mask64(p);
    } else
#endif
    {
        mask = 0;
        size_t n = (size_t)(b - p) < 64 ? (size_t)(b - p) : 64;
        for (size_t i = 0; i < n; i++) {
            mask |= (uint64_t)IS_WS[p[i]] << i;
        }
    }
    if (b - p < 64) {
        mask |= ~UINT64_C(0) << (b - p);
    }
    return mask;
}

/* Split the trimmed line [a, b) into its first NFIELDS fields; returns how many it has (up to
 * NFIELDS). Fields are found 64 bytes at a time from a bitmask of the blank bytes: the number
 * of fields and their lengths vary from line to line, and a byte loop paid for that in branch
 * mispredictions. `end` is the end of the body (reads stay before it). */
static inline int split_fields(const unsigned char *a, const unsigned char *b,
                               const unsigned char *end, const unsigned char **fs, size_t *fl) {
#if defined(__GNUC__)
    int nf = 0;
    int in_field = 0;
    const unsigned char *block = a;
    uint64_t mask = line_mask64(block, b, end);
    unsigned pos = 0;
    while (nf < NFIELDS) {
        uint64_t wanted = (in_field ? mask : ~mask) & (~UINT64_C(0) << pos);
        if (!wanted) {
            block += 64;
            pos = 0;
            if (block >= b) {
                if (in_field) {
                    fl[nf] = (size_t)(b - fs[nf]);
                    nf++;
                }
                break;
            }
            mask = line_mask64(block, b, end);
            continue;
        }
        pos = (unsigned)__builtin_ctzll(wanted);
        if (in_field) {
            fl[nf] = (size_t)(block + pos - fs[nf]);
            nf++;
        } else {
            fs[nf] = block + pos;
        }
        in_field = !in_field;
    }
    return nf;
#else
    int nf = 0;
    const unsigned char *q = a;
    while (nf < NFIELDS && q < b) {
        const unsigned char *start = q;
        q = field_end(q, end);
        fs[nf] = start;
        fl[nf] = (size_t)(q - start);
        nf++;
        while (q < b && IS_WS[*q]) {
            q++;
        }
    }
    return nf;
#endif
}

static inline void bit_set(unsigned char *bits, size_t i) {
    bits[i >> 3] |= (unsigned char)(1u << (i & 7));
}

/* ---------------------------------------------------------------- the scan */

typedef struct {
    /* inputs */
    const unsigned char *base;
    size_t size;
    int64_t first_line;
    size_t max_chars;
    int replaced; /* invalid UTF-8 was replaced in a copy of the body */
    /* per body */
    int64_t lines;
    size_t rows;
    /* per kept row */
    int64_t *line_no;
    int64_t *time;
    int64_t *elapsed;
    int64_t *bytes;
    unsigned char *time_valid;
    unsigned char *elapsed_valid;
    unsigned char *elapsed_bad;
    unsigned char *bytes_valid;
    unsigned char *bytes_bad;
    unsigned char *url_valid;
    unsigned char *url_key_valid;
    /* nulls of the validity bitmaps above, and rows flagged bad */
    int64_t time_nulls, elapsed_nulls, bytes_nulls, url_nulls, url_key_nulls;
    int64_t elapsed_bad_rows, bytes_bad_rows;
    int32_t *url_offsets;
    Vec url_data;
    Dict dicts[NDICTS];
    /* short (or too long) lines */
    Vec short_line_no;
    Vec short_offsets;
    Vec short_data;
    Vec short_too_long; /* one byte per short line */
} Scan;

static void scan_free(Scan *s) {
    free(s->line_no);
    free(s->time);
    free(s->elapsed);
    free(s->bytes);
    free(s->time_valid);
    free(s->elapsed_valid);
    free(s->elapsed_bad);
    free(s->bytes_valid);
    free(s->bytes_bad);
    free(s->url_valid);
    free(s->url_key_valid);
    free(s->url_offsets);
    free(s->url_data.data);
    for (int i = 0; i < NDICTS; i++) {
        dict_free(&s->dicts[i]);
    }
    free(s->short_line_no.data);
    free(s->short_offsets.data);
    free(s->short_data.data);
    free(s->short_too_long.data);
}

static int scan_alloc(Scan *s) {
    /* A complete line holds ten non-empty fields, nine separators and its newline: at least
     * 20 bytes. Pages of these arrays that no row reaches are never touched. */
    size_t n = s->size / 20 + 1;
    size_t bitmap = (n + 7) / 8;
    s->line_no = malloc(n * sizeof(int64_t));
    s->time = malloc(n * sizeof(int64_t));
    s->elapsed = malloc(n * sizeof(int64_t));
    s->bytes = malloc(n * sizeof(int64_t));
    s->time_valid = calloc(bitmap, 1);
    s->elapsed_valid = calloc(bitmap, 1);
    s->elapsed_bad = calloc(bitmap, 1);
    s->bytes_valid = calloc(bitmap, 1);
    s->bytes_bad = calloc(bitmap, 1);
    s->url_valid = calloc(bitmap, 1);
    s->url_key_valid = calloc(bitmap, 1);
    s->url_offsets = malloc((n + 1) * sizeof(int32_t));
    if (!(s->line_no && s->time && s->elapsed && s->bytes && s->time_valid &&
          s->elapsed_valid && s->elapsed_bad && s->bytes_valid && s->bytes_bad && s->url_valid &&
          s->url_key_valid && s->url_offsets)) {
        return 0;
    }
    /* The URLs fit in the body: no copy while growing (untouched pages cost nothing). */
    if (!vec_reserve(&s->url_data, s->size + 1)) {
        return 0;
    }
    for (int i = 0; i < NDICTS; i++) {
        if (!dict_init(&s->dicts[i], n)) {
            return 0;
        }
    }
    int32_t zero = 0;
    return vec_append(&s->short_offsets, &zero, sizeof(zero));
}

/* Cut the body into lines and fields. Runs without the GIL: touches no Python object.
 * Returns 0 when memory ran out. */
static int scan_body(Scan *s) {
    const unsigned char *base = s->base;
    const unsigned char *cur = base;
    const unsigned char *end = base + s->size;
    int64_t line = s->first_line - 1;
    size_t row = 0;
    s->url_offsets[0] = 0;
    while (cur < end) {
        const unsigned char *nl = memchr(cur, '\n', (size_t)(end - cur));
        const unsigned char *a = cur;
        const unsigned char *b = nl;
        cur = nl + 1;
        line++;
        while (a < b && IS_WS[*a]) {
            a++;
        }
        while (b > a && IS_WS[b[-1]]) {
            b--;
        }
        if (a == b) {
            continue; /* blank */
        }
        size_t n = (size_t)(b - a);
        int too_long = n > s->max_chars && utf8_chars(a, n) > s->max_chars;
        const unsigned char *fs[NFIELDS];
        size_t fl[NFIELDS];
        int nf = too_long ? 0 : split_fields(a, b, end, fs, fl);
        if (too_long || nf < NFIELDS) {
            int32_t offset;
            unsigned char flag = (unsigned char)too_long;
            if (!vec_append(&s->short_line_no, &line, sizeof(line)) ||
                !vec_append(&s->short_data, a, n) ||
                !vec_append(&s->short_too_long, &flag, 1)) {
                return 0;
            }
            offset = (int32_t)s->short_data.len;
            if (!vec_append(&s->short_offsets, &offset, sizeof(offset))) {
                return 0;
            }
            continue;
        }
        s->line_no[row] = line;
        int64_t value = 0;
        if (parse_time(fs[F_TIME], fl[F_TIME], &value)) {
            bit_set(s->time_valid, row);
        } else {
            s->time_nulls++;
        }
        s->time[row] = value;
        value = 0;
        int state = parse_number(fs[F_ELAPSED], fl[F_ELAPSED], 1, 15, &value);
        if (state == NUM_VALUE) {
            bit_set(s->elapsed_valid, row);
        } else {
            s->elapsed_nulls++;
            if (state == NUM_BAD) {
                bit_set(s->elapsed_bad, row);
                s->elapsed_bad_rows++;
            }
        }
        s->elapsed[row] = value;
        value = 0;
        state = parse_number(fs[F_BYTES], fl[F_BYTES], 0, 18, &value);
        if (state == NUM_VALUE) {
            bit_set(s->bytes_valid, row);
        } else {
            s->bytes_nulls++;
            if (state == NUM_BAD) {
                bit_set(s->bytes_bad, row);
                s->bytes_bad_rows++;
            }
        }
        s->bytes[row] = value;

        const unsigned char *url = fs[F_URL];
        size_t url_len = fl[F_URL];
        if (!(url_len == 1 && url[0] == '-')) {
            bit_set(s->url_valid, row);
        } else {
            s->url_nulls++;
        }
        /* The key of the host: the scheme://authority of an absolute URL, the whole target of
         * a CONNECT, and none (null) for other requests. */
        size_t key_len = absolute_prefix(url, url_len);
        int has_key = key_len > 0;
        if (!has_key && is_connect(fs[F_METHOD], fl[F_METHOD])) {
            key_len = url_len;
            has_key = 1;
        }
        if (has_key) {
            bit_set(s->url_key_valid, row);
        } else {
            s->url_key_nulls++;
        }
        if (!vec_append(&s->url_data, url, url_len)) {
            return 0;
        }
        s->url_offsets[row + 1] = (int32_t)s->url_data.len;

        for (int d = 0; d < NDICTS; d++) {
            int f = DICT_FIELDS[d];
            if (d == D_URLKEY && !has_key) {
                s->dicts[d].indices[row] = 0; /* under a null: never read */
                continue;
            }
            size_t len = d == D_URLKEY ? key_len : fl[f];
            int32_t index =
                dict_index(&s->dicts[d], base, end, (uint32_t)(fs[f] - base), (uint32_t)len);
            if (index < 0) {
                return 0;
            }
            s->dicts[d].indices[row] = index;
        }
        row++;
    }
    s->rows = row;
    s->lines = line - (s->first_line - 1);
    return 1;
}

/* ---------------------------------------------------------------- results as Python objects */

/* A ScanBuffer owning `data` (freed with it, also on failure). */
static PyObject *take_buffer(void *data, size_t len) {
    ScanBuffer *buf = PyObject_New(ScanBuffer, &ScanBufferType);
    if (!buf) {
        free(data);
        return NULL;
    }
    buf->data = data;
    buf->len = (Py_ssize_t)len;
    return (PyObject *)buf;
}

/* Move `*data` into result[key] as a ScanBuffer (the pointer is cleared: the buffer owns it). */
static int put_buffer(PyObject *result, const char *key, void *data_ptr, size_t len) {
    void **data = (void **)data_ptr;
    PyObject *buf = take_buffer(*data, len);
    *data = NULL;
    if (!buf) {
        return 0;
    }
    int rc = PyDict_SetItemString(result, key, buf);
    Py_DECREF(buf);
    return rc == 0;
}

static int put_int(PyObject *result, const char *key, long long value) {
    PyObject *obj = PyLong_FromLongLong(value);
    if (!obj) {
        return 0;
    }
    int rc = PyDict_SetItemString(result, key, obj);
    Py_DECREF(obj);
    return rc == 0;
}

/* The distinct values of a dictionary as Arrow string offsets and data; 0 when out of memory. */
static int dict_values(const Dict *d, const unsigned char *base, int32_t **offsets,
                       unsigned char **data, size_t *data_len) {
    size_t total = 0;
    for (size_t i = 0; i < d->n; i++) {
        total += d->entries[i].len;
    }
    *offsets = malloc((d->n + 1) * sizeof(int32_t));
    *data = malloc(total ? total : 1);
    if (!*offsets || !*data) {
        return 0;
    }
    size_t pos = 0;
    (*offsets)[0] = 0;
    for (size_t i = 0; i < d->n; i++) {
        memcpy(*data + pos, base + d->entries[i].start, d->entries[i].len);
        pos += d->entries[i].len;
        (*offsets)[i + 1] = (int32_t)pos;
    }
    *data_len = total;
    return 1;
}

static PyObject *build_result(Scan *s) {
    size_t rows = s->rows;
    size_t bitmap = (rows + 7) / 8;
    char key[64];
    PyObject *result = PyDict_New();
    if (!result) {
        return NULL;
    }
    if (!put_int(result, "replaced_utf8", s->replaced) || !put_int(result, "lines", s->lines) ||
        !put_int(result, "rows", (long long)rows) ||
        !put_int(result, "short_rows", (long long)(s->short_line_no.len / sizeof(int64_t))) ||
        !put_buffer(result, "line", &s->line_no, rows * sizeof(int64_t)) ||
        !put_buffer(result, "time", &s->time, rows * sizeof(int64_t)) ||
        !put_buffer(result, "time_valid", &s->time_valid, bitmap) ||
        !put_buffer(result, "elapsed", &s->elapsed, rows * sizeof(int64_t)) ||
        !put_buffer(result, "elapsed_valid", &s->elapsed_valid, bitmap) ||
        !put_buffer(result, "elapsed_bad", &s->elapsed_bad, bitmap) ||
        !put_buffer(result, "bytes", &s->bytes, rows * sizeof(int64_t)) ||
        !put_buffer(result, "bytes_valid", &s->bytes_valid, bitmap) ||
        !put_buffer(result, "bytes_bad", &s->bytes_bad, bitmap) ||
        !put_buffer(result, "url_valid", &s->url_valid, bitmap) ||
        !put_buffer(result, "url_key_valid", &s->url_key_valid, bitmap) ||
        !put_int(result, "time_nulls", s->time_nulls) ||
        !put_int(result, "elapsed_nulls", s->elapsed_nulls) ||
        !put_int(result, "bytes_nulls", s->bytes_nulls) ||
        !put_int(result, "url_nulls", s->url_nulls) ||
        !put_int(result, "url_key_nulls", s->url_key_nulls) ||
        !put_int(result, "elapsed_bad_rows", s->elapsed_bad_rows) ||
        !put_int(result, "bytes_bad_rows", s->bytes_bad_rows) ||
        !put_buffer(result, "url_offsets", &s->url_offsets, (rows + 1) * sizeof(int32_t)) ||
        !put_buffer(result, "url_data", &s->url_data.data, s->url_data.len) ||
        !put_buffer(result, "short_line", &s->short_line_no.data, s->short_line_no.len) ||
        !put_buffer(result, "short_offsets", &s->short_offsets.data, s->short_offsets.len) ||
        !put_buffer(result, "short_data", &s->short_data.data, s->short_data.len) ||
        !put_buffer(result, "short_too_long", &s->short_too_long.data, s->short_too_long.len)) {
        Py_DECREF(result);
        return NULL;
    }
    for (int d = 0; d < NDICTS; d++) {
        Dict *dict = &s->dicts[d];
        int32_t *offsets = NULL;
        unsigned char *data = NULL;
        size_t data_len = 0;
        if (!dict_values(dict, s->base, &offsets, &data, &data_len)) {
            free(offsets);
            free(data);
            Py_DECREF(result);
            return PyErr_NoMemory();
        }
        size_t distinct = dict->n;
        snprintf(key, sizeof(key), "%s_indices", DICT_NAMES[d]);
        int ok = put_buffer(result, key, &dict->indices, rows * sizeof(int32_t));
        snprintf(key, sizeof(key), "%s_offsets", DICT_NAMES[d]);
        ok = put_buffer(result, key, &offsets, (distinct + 1) * sizeof(int32_t)) && ok;
        snprintf(key, sizeof(key), "%s_data", DICT_NAMES[d]);
        ok = put_buffer(result, key, &data, data_len) && ok;
        snprintf(key, sizeof(key), "%s_distinct", DICT_NAMES[d]);
        ok = ok && put_int(result, key, (long long)distinct);
        if (!ok) {
            Py_DECREF(result);
            return NULL;
        }
    }
    return result;
}

PyDoc_STRVAR(scan_doc,
             "scan(body, first_line, max_chars) -> dict\n\n"
             "Cut whole Squid native lines (UTF-8, each ending in a newline) into columns.\n"
             "See socialsight/formats/_squidscan.pyi for the keys of the result.");

static PyObject *squidscan_scan(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer body;
    long long first_line;
    Py_ssize_t max_chars;
    if (!PyArg_ParseTuple(args, "y*Ln:scan", &body, &first_line, &max_chars)) {
        return NULL;
    }
    if (body.len > MAX_BODY) {
        PyBuffer_Release(&body);
        return PyErr_Format(PyExc_ValueError, "body of %zd bytes is over the 1 GiB limit",
                            body.len);
    }
    if (max_chars < 0) {
        PyBuffer_Release(&body);
        return PyErr_Format(PyExc_ValueError, "max_chars must not be negative");
    }
    if (first_line < -((long long)1 << 62) || first_line > ((long long)1 << 62)) {
        PyBuffer_Release(&body);
        return PyErr_Format(PyExc_ValueError, "first_line %lld is out of range", first_line);
    }
    const unsigned char *base = body.buf;
    size_t size = (size_t)body.len;
    if (size && base[size - 1] != '\n') {
        PyBuffer_Release(&body);
        return PyErr_Format(PyExc_ValueError, "body must end with a newline");
    }
    Scan s;
    memset(&s, 0, sizeof(s));
    s.base = base;
    s.size = size;
    s.first_line = first_line;
    s.max_chars = (size_t)max_chars;
    int ok = 1;
    size_t fixed_size = 0;
    unsigned char *fixed = NULL;
    Py_BEGIN_ALLOW_THREADS
    if (!utf8_valid(base, size)) {
        /* Rare: a copy with U+FFFD for the invalid bytes, as ingest decodes them. */
        fixed_size = utf8_replace(base, size, NULL);
        if (fixed_size <= (size_t)MAX_BODY) {
            fixed = malloc(fixed_size);
            ok = fixed != NULL;
            if (ok) {
                utf8_replace(base, size, fixed);
                s.base = fixed;
                s.size = fixed_size;
                s.replaced = 1;
            }
        }
    }
    ok = ok && fixed_size <= (size_t)MAX_BODY && scan_alloc(&s) && scan_body(&s);
    Py_END_ALLOW_THREADS
    PyObject *result;
    if (fixed_size > (size_t)MAX_BODY) {
        result = PyErr_Format(PyExc_ValueError,
                              "body of %zu bytes once invalid UTF-8 is replaced is over the "
                              "1 GiB limit",
                              fixed_size);
    } else {
        /* build_result copies the distinct values out of the (fixed) body: free it after. */
        result = ok ? build_result(&s) : PyErr_NoMemory();
    }
    scan_free(&s);
    free(fixed);
    PyBuffer_Release(&body);
    return result;
}

static PyMethodDef squidscan_methods[] = {
    {"scan", squidscan_scan, METH_VARARGS, scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef squidscan_module = {
    PyModuleDef_HEAD_INIT,
    "socialsight.formats._squidscan",
    "Squid native lines cut into columns in one pass of C (see socialsight.formats.squid).",
    -1,
    squidscan_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__squidscan(void) {
    static const char blanks[] = " \t\r\n\f\v";
    for (const char *c = blanks; *c; c++) {
        IS_WS[(unsigned char)*c] = 1;
    }
    if (PyType_Ready(&ScanBufferType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&squidscan_module);
    if (!module) {
        return NULL;
    }
    Py_INCREF(&ScanBufferType);
    if (PyModule_AddObject(module, "ScanBuffer", (PyObject *)&ScanBufferType) < 0) {
        Py_DECREF(&ScanBufferType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
