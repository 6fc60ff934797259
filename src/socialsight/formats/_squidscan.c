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
 *
 * Speed (docs/formats/squid.md, "the C scanner"): SSE2, which every x86-64 CPU has, and
 * word-at-a-time tricks on little-endian machines. Built with -DSQUIDSCAN_PORTABLE, neither:
 * the plain C that other machines run (tests/test_squidscan.py builds and checks that too).
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

/* ---------------------------------------------------------------- words and bits */

/* Word-at-a-time tricks need little-endian words (and GCC or Clang); SSE2 is part of x86-64.
 * -DSQUIDSCAN_PORTABLE turns both off: the plain C that other machines run, built and checked
 * by the tests. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    !defined(SQUIDSCAN_PORTABLE)
#define LITTLE_ENDIAN_WORDS 1
#else
#define LITTLE_ENDIAN_WORDS 0
#endif

#if defined(__SSE2__) && !defined(SQUIDSCAN_PORTABLE)
#define USE_SSE2 1
#else
#define USE_SSE2 0
#endif

/* The row loop is one function once inlined: calls per row cost spills of the field arrays. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NOINLINE
#define ALWAYS_INLINE inline
#endif

/* Index of the lowest set bit of a non-zero word. */
static inline unsigned ctz64(uint64_t x) {
#if defined(__GNUC__) && !defined(SQUIDSCAN_PORTABLE)
    return (unsigned)__builtin_ctzll(x);
#else
    static const unsigned char debruijn[64] = {
        0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28, 62, 5,  39, 46, 44, 42,
        22, 9,  24, 35, 59, 56, 49, 18, 29, 11, 63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21,
        23, 58, 17, 10, 51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12};
    return debruijn[((x & (0 - x)) * UINT64_C(0x022FDD63CC95386D)) >> 58];
#endif
}

/* Index of the highest set bit of a non-zero word, from the top. */
static inline unsigned clz64(uint64_t x) {
#if defined(__GNUC__) && !defined(SQUIDSCAN_PORTABLE)
    return (unsigned)__builtin_clzll(x);
#else
    unsigned n = 0;
    while (!(x & (UINT64_C(1) << 63))) {
        x <<= 1;
        n++;
    }
    return n;
#endif
}

/* Number of set bits. */
static inline unsigned popcount64(uint64_t x) {
#if defined(__GNUC__) && !defined(SQUIDSCAN_PORTABLE)
    return (unsigned)__builtin_popcountll(x);
#else
    unsigned n = 0;
    for (; x; x &= x - 1) {
        n++;
    }
    return n;
#endif
}

/* Eight bytes at p as a word (any byte order: only equality and hashing within a scan use it). */
static inline uint64_t load8(const unsigned char *p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* The n (< 8) bytes at p as a word. One 8-byte load when 8 bytes are readable before `end`:
 * a variable-length memcpy into a word stalls on store forwarding and was a fifth of the scan. */
static inline uint64_t load_partial(const unsigned char *p, size_t n, const unsigned char *end) {
    if (LITTLE_ENDIAN_WORDS && (size_t)(end - p) >= 8) {
        return load8(p) & ((UINT64_C(1) << (8 * n)) - 1);
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/* ---------------------------------------------------------------- dictionaries */

/* A dictionary column: the distinct values in order of first appearance, and an open-addressing
 * hash table of their indices. A value keeps its length and its first and last eight bytes
 * (zero-padded when shorter): values of up to 16 bytes (most of them: codes, methods,
 * addresses, users) are compared without reading the body. Both arrays are small and dense:
 * they stay in cache while the body and the columns stream past. */
typedef struct {
    uint64_t head;  /* bytes [0, 8) of the value */
    uint64_t tail;  /* bytes [len - 8, len) when len > 8, else 0 */
    uint32_t start; /* offset of the value in `values` */
    uint32_t len;
} Entry;

typedef struct {
    uint32_t hash;   /* top half of the value's hash: a first filter, and its place on growth */
    uint32_t index1; /* index of the value + 1; 0 marks an empty slot */
} Slot;

typedef struct {
    Slot *slots;
    size_t mask;    /* slots - 1 */
    unsigned shift; /* 64 - log2(slots): the top bits of a hash pick its slot */
    Entry *entries;
    size_t n;
    size_t cap;
    /* The distinct values end to end: longer values are compared here, not at their first
     * place in the body, which is far away (a cache miss per row) by the time they recur. */
    Vec values;
    int32_t *indices; /* one per kept row */
} Dict;

/* Set by _collide_hashes() (tests): every hash 0. Read under the GIL when a scan starts. */
static int COLLIDE;

static const uint64_t K1 = UINT64_C(0x9E3779B97F4A7C15);
static const uint64_t K2 = UINT64_C(0xC2B2AE3D27D4EB4F);
static const uint64_t K3 = UINT64_C(0xFF51AFD7ED558CCD);

/* The key of a value: its first and last eight bytes and a hash of all of it. The hash is a
 * few multiplies (it only has to spread values within one scan); `seed` changes per scan, so
 * that log lines written to collide cannot count on one fixed function. */
static inline uint64_t value_key(const unsigned char *p, size_t n, const unsigned char *end,
                                 uint64_t seed, uint64_t *head, uint64_t *tail) {
    uint64_t h;
    if (n < 8) {
        *head = load_partial(p, n, end);
        *tail = 0;
    } else {
        *head = load8(p);
        *tail = n > 8 ? load8(p + n - 8) : 0;
    }
    h = ((*head ^ seed) * K1) ^ ((*tail + n) * K2);
    /* The bytes between the first and the last eight (values over 16 bytes): up to 32 bytes
     * (host keys, hierarchy codes) in two words that may overlap, without a loop whose
     * length varies. */
    if (n > 16) {
        h ^= (load8(p + 8) ^ K2) * K3;
        if (n > 24) {
            h ^= (load8(p + (n <= 32 ? n - 16 : 16)) ^ K1) * K2;
            for (size_t i = 24; i + 8 < n; i += 8) {
                h = (h ^ load8(p + i)) * K3;
            }
        }
    }
    /* The slot is taken from the top bits, where a product mixes all the bits of its factors:
     * no finishing rounds needed. */
    return h;
}

/* The bytes of two values of the same length n > 16 between their first and last eight. */
static inline int middle_equal(const unsigned char *a, const unsigned char *b, size_t n) {
    /* Up to 32 bytes: two words that may overlap. */
    size_t second = n <= 32 ? n - 16 : 16;
    if (((load8(a + 8) ^ load8(b + 8)) | (load8(a + second) ^ load8(b + second))) != 0) {
        return 0;
    }
    for (size_t i = 24; i + 8 < n; i += 8) {
        if (load8(a + i) != load8(b + i)) {
            return 0;
        }
    }
    return 1;
}

static int dict_init(Dict *d, size_t rows) {
    memset(d, 0, sizeof(*d));
    d->mask = 255;
    d->shift = 64 - 8;
    d->slots = calloc(d->mask + 1, sizeof(Slot));
    d->cap = 128;
    d->entries = malloc(d->cap * sizeof(Entry));
    d->indices = malloc((rows ? rows : 1) * sizeof(int32_t));
    return d->slots && d->entries && d->indices;
}

static void dict_free(Dict *d) {
    free(d->slots);
    free(d->entries);
    free(d->values.data);
    free(d->indices);
    memset(d, 0, sizeof(*d));
}

static int dict_grow(Dict *d) {
    size_t size = (d->mask + 1) * 2;
    Slot *slots = calloc(size, sizeof(Slot));
    if (!slots) {
        return 0;
    }
    for (size_t i = 0; i <= d->mask; i++) {
        if (!d->slots[i].index1) {
            continue;
        }
        size_t s = d->slots[i].hash >> (d->shift - 1 - 32);
        while (slots[s].index1) {
            s = (s + 1) & (size - 1);
        }
        slots[s] = d->slots[i];
    }
    free(d->slots);
    d->slots = slots;
    d->mask = size - 1;
    d->shift--;
    return 1;
}

/* Add a new value at slot s (empty) of its hash table; its index, or -1 when memory ran out.
 * Out of line: rare, and the lookup stays small enough to inline. */
static NOINLINE int32_t dict_insert(Dict *d, size_t s, uint32_t h, uint64_t head, uint64_t tail,
                                    const unsigned char *p, uint32_t len) {
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
    e->head = head;
    e->tail = tail;
    e->start = (uint32_t)d->values.len;
    e->len = len;
    if (!vec_append(&d->values, p, len)) {
        return -1;
    }
    d->slots[s].hash = h;
    d->slots[s].index1 = (uint32_t)(d->n + 1);
    d->n++;
    /* Keep the load at most a quarter: a probe that meets another value first costs a
     * mispredicted branch (measured: a quarter beat a half). The slots are 8 bytes. */
    if (d->n * 4 > d->mask + 1 && !dict_grow(d)) {
        return -1;
    }
    return (int32_t)(d->n - 1);
}

/* Index of the value p[0..len) (len > 0), added when new; -1 when memory ran out. (A shortcut
 * for a value equal to the row before's did not pay: half the time it missed, a mispredicted
 * branch each.) */
static ALWAYS_INLINE int32_t dict_index(Dict *d, const unsigned char *p, uint32_t len,
                                        const unsigned char *end, uint64_t seed,
                                        uint64_t hash_mask) {
    uint64_t head, tail;
    uint64_t h = value_key(p, len, end, seed, &head, &tail) & hash_mask;
    size_t s = (size_t)(h >> d->shift);
    for (;;) {
        Slot slot = d->slots[s];
        if (!slot.index1) {
            break;
        }
        if (slot.hash == (uint32_t)(h >> 32)) {
            const Entry *e = &d->entries[slot.index1 - 1];
            if (e->head == head && e->tail == tail && e->len == len &&
                (len <= 16 || middle_equal(d->values.data + e->start, p, len))) {
                return (int32_t)(slot.index1 - 1);
            }
        }
        s = (s + 1) & d->mask;
    }
    return dict_insert(d, s, (uint32_t)(h >> 32), head, tail, p, len);
}

/* ---------------------------------------------------------------- field rules */

/* Whether the eight bytes of w are all ASCII digits. */
static inline int eight_digits(uint64_t w) {
    return ((w & UINT64_C(0xF0F0F0F0F0F0F0F0)) |
            (((w + UINT64_C(0x0606060606060606)) & UINT64_C(0xF0F0F0F0F0F0F0F0)) >> 4)) ==
           UINT64_C(0x3333333333333333);
}

/* The value of eight ASCII digits loaded little-endian (the first digit in the lowest byte). */
static inline uint64_t eight_digits_value(uint64_t w) {
    w -= UINT64_C(0x3030303030303030);
    w = (w * 10) + (w >> 8);
    return (((w & UINT64_C(0x000000FF000000FF)) * (100 + (UINT64_C(1000000) << 32))) +
            (((w >> 16) & UINT64_C(0x000000FF000000FF)) * (1 + (UINT64_C(10000) << 32)))) >>
           32;
}

static inline int is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}

/* ^\d{1,10}(?:\.\d{1,6})?$ -> microseconds since the epoch. */
static inline int parse_time(const unsigned char *p, size_t n, int64_t *out) {
    /* What Squid writes (%ts.%03tu: ten digits until 2286, a dot, three) in a few words. */
    if (LITTLE_ENDIAN_WORDS && n == 14 && p[10] == '.') {
        uint64_t w = load8(p);
        if (eight_digits(w) && is_digit(p[8]) && is_digit(p[9]) && is_digit(p[11]) &&
            is_digit(p[12]) && is_digit(p[13])) {
            int64_t sec = (int64_t)eight_digits_value(w) * 100 + (p[8] - '0') * 10 + (p[9] - '0');
            int64_t ms = (p[11] - '0') * 100 + (p[12] - '0') * 10 + (p[13] - '0');
            *out = sec * 1000000 + ms * 1000;
            return 1;
        }
    }
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
static inline int parse_number(const unsigned char *p, size_t n, const unsigned char *end,
                               int allow_minus, size_t max_digits, int64_t *out) {
    if (n == 1 && p[0] == '-') {
        return NUM_NULL;
    }
    /* Up to eight digits (nearly every value) in one word: the digits moved to the top, '0's
     * in front. */
    if (LITTLE_ENDIAN_WORDS && n <= 8 && n <= max_digits && (size_t)(end - p) >= 8) {
        uint64_t w = load8(p) << (8 * (8 - n));
        w |= UINT64_C(0x3030303030303030) & ((UINT64_C(1) << (8 * (8 - n))) - 1);
        if (eight_digits(w)) {
            *out = (int64_t)eight_digits_value(w);
            return NUM_VALUE;
        }
        if (p[0] != '-') {
            return NUM_BAD;
        }
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

/* Character classes of URL_CLASS. */
enum { C_ALPHA = 1, C_SCHEME = 2, C_STOP = 4 };

/* Per byte: C_ALPHA for [A-Za-z], C_SCHEME for [A-Za-z0-9+.-], C_STOP for [/?#]. */
static unsigned char URL_CLASS[256];

/* Position of the first ':' in p[0..n), or n. A word at a time while 8 bytes are readable
 * before `end`. */
static inline size_t find_colon(const unsigned char *p, size_t n, const unsigned char *end) {
    size_t i = 0;
    while (LITTLE_ENDIAN_WORDS && i < n && end - (p + i) >= 8) {
        uint64_t w = load8(p + i) ^ UINT64_C(0x3A3A3A3A3A3A3A3A);
        /* The high bit marks the zero bytes (exact for the lowest one). */
        uint64_t zero = (w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080);
        if (zero) {
            i += ctz64(zero) / 8;
            return i < n ? i : n;
        }
        i += 8;
    }
    while (i < n && p[i] != ':') {
        i++;
    }
    return i < n ? i : n;
}

/* Length of the ^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]* prefix of an absolute URL (n > 0), or 0.
 * The scheme ends at the first ':', which is found first: a CONNECT target (host:port) then
 * costs a word or two. */
static inline size_t absolute_prefix(const unsigned char *p, size_t n, const unsigned char *end) {
    if (!(URL_CLASS[p[0]] & C_ALPHA)) {
        return 0;
    }
    size_t colon = find_colon(p, n, end);
    if (colon + 3 > n || p[colon + 1] != '/' || p[colon + 2] != '/') {
        return 0;
    }
    for (size_t i = 1; i < colon; i++) {
        if (!(URL_CLASS[p[i]] & C_SCHEME)) {
            return 0;
        }
    }
    size_t i = colon + 3;
    while (i < n && !(URL_CLASS[p[i]] & C_STOP)) {
        i++;
    }
    return i;
}

/* The method upper-cased is CONNECT. ASCII case folding is enough: no other character
 * upper-cases to one of C, O, N, E, T (and a non-ASCII method is rejected anyway). */
static inline int is_connect(const unsigned char *p, size_t n, const unsigned char *end) {
    if (n != 7) {
        return 0;
    }
    /* Setting bit 5 lower-cases a letter; of all bytes, only 'C' and 'c' give 'c', and so on. */
    uint64_t lower = load_partial(p, 7, end) | UINT64_C(0x0020202020202020);
    return lower == ((uint64_t)'c' | (uint64_t)'o' << 8 | (uint64_t)'n' << 16 |
                     (uint64_t)'n' << 24 | (uint64_t)'e' << 32 | (uint64_t)'c' << 40 |
                     (uint64_t)'t' << 48);
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

/* Whether the 64 bytes at p (of `left` readable) are all ASCII; 0 when fewer are left. */
static inline int ascii64(const unsigned char *p, size_t left) {
#if USE_SSE2
    if (left < 64) {
        return 0;
    }
    const __m128i *v = (const __m128i *)(const void *)p;
    __m128i any = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(v), _mm_loadu_si128(v + 1)),
                               _mm_or_si128(_mm_loadu_si128(v + 2), _mm_loadu_si128(v + 3)));
    return !_mm_movemask_epi8(any);
#else
    (void)p;
    (void)left;
    return 0;
#endif
}

static int utf8_valid(const unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (ascii64(p + i, n - i)) {
            i += 64;
        } else if (ascii_word(p + i, n - i)) {
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
        if (ascii64(p + i, n - i)) {
            take = 64;
        } else if (ascii_word(p + i, n - i)) {
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

/* Bit i of *blank is set when p[i] is one of " \t\n\v\f\r", of *newline when it is "\n"; for
 * the 64 bytes at p. *non_ascii tells whether any of them is not ASCII. */
static inline void block_masks(const unsigned char *p, uint64_t *blank, uint64_t *newline,
                               int *non_ascii) {
#if USE_SSE2
    /* SSE2 is part of x86-64: no run-time check needed. */
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i four = _mm_set1_epi8(4);
    const __m128i lf = _mm_set1_epi8('\n');
    uint64_t b = 0, n = 0;
    __m128i high = _mm_setzero_si128();
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        high = _mm_or_si128(high, v);
        /* \t \n \v \f \r are 9..13: v - 9 is at most 4 (unsigned) exactly for them. */
        __m128i t = _mm_sub_epi8(v, tab);
        __m128i is_blank =
            _mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(_mm_min_epu8(t, four), t));
        b |= (uint64_t)(uint16_t)_mm_movemask_epi8(is_blank) << (16 * k);
        n |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)) << (16 * k);
    }
    *blank = b;
    *newline = n;
    *non_ascii = _mm_movemask_epi8(high) != 0;
#else
    uint64_t b = 0, n = 0;
    unsigned char high = 0;
    for (unsigned i = 0; i < 64; i++) {
        b |= (uint64_t)IS_WS[p[i]] << i;
        n |= (uint64_t)(p[i] == '\n') << i;
        high |= p[i];
    }
    *blank = b;
    *newline = n;
    *non_ascii = high >= 0x80;
#endif
}

static inline void bit_set(unsigned char *bits, size_t i) {
    bits[i >> 3] |= (unsigned char)(1u << (i & 7));
}

/* ---------------------------------------------------------------- the scan */

/* Room after the URLs: copy_short may write up to 32 bytes where fewer are copied. */
#define URL_SLACK 32

/* memcpy(dst, src, n) for short n, inline: two 16-byte moves up to 32 bytes (most URLs a
 * proxy logs for CONNECT and for hosts are shorter). dst has URL_SLACK bytes of room; src is
 * read only before `end`. */
static inline void copy_short(unsigned char *dst, const unsigned char *src, size_t n,
                              const unsigned char *end) {
#if USE_SSE2
    if (n <= 32 && end - src >= 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)src);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + 16));
        _mm_storeu_si128((__m128i *)(void *)dst, a);
        _mm_storeu_si128((__m128i *)(void *)(dst + 16), b);
        return;
    }
#else
    (void)end;
#endif
    memcpy(dst, src, n);
}

enum { SCAN_NO_MEMORY, SCAN_OK, SCAN_TOO_BIG };

typedef struct {
    /* inputs */
    const unsigned char *base;
    size_t size;
    int64_t first_line;
    size_t max_chars;
    uint64_t seed;      /* of the dictionaries' hash */
    uint64_t hash_mask; /* all ones; 0 to make every value collide (tests) */
    /* invalid UTF-8 */
    int utf8_valid;       /* the body is known to be valid UTF-8 */
    int replaced;         /* invalid UTF-8 was replaced in a copy of the body: `fixed` */
    unsigned char *fixed; /* that copy, which `base` then points to */
    size_t fixed_size;    /* its size (also when too big to make) */
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
    free(s->fixed);
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
    if (!vec_reserve(&s->url_data, s->size + URL_SLACK)) {
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

/* A line with fewer than NFIELDS fields, or too long: kept apart with its trimmed text. */
static int add_short(Scan *s, int64_t line, const unsigned char *a, size_t n, int too_long) {
    unsigned char flag = (unsigned char)too_long;
    if (!vec_append(&s->short_line_no, &line, sizeof(line)) || !vec_append(&s->short_data, a, n) ||
        !vec_append(&s->short_too_long, &flag, 1)) {
        return 0;
    }
    int32_t offset = (int32_t)s->short_data.len;
    return vec_append(&s->short_offsets, &offset, sizeof(offset));
}

/* The index of value p[0..len) in dictionary d, for row `row`; 0 when memory ran out. */
static ALWAYS_INLINE int add_value(Dict *d, size_t row, const unsigned char *p, size_t len,
                                   const unsigned char *end, uint64_t seed, uint64_t hash_mask) {
    int32_t index = dict_index(d, p, (uint32_t)len, end, seed, hash_mask);
    d->indices[row] = index;
    return index >= 0;
}

/* Field f of a line: its start, and its length. */
#define FIELD(f) tpos[2 * (f)]
#define FIELD_LEN(f) ((size_t)(tpos[2 * (f) + 1] - tpos[2 * (f)]))

/* A number field parsed by parse_number, as row `row` of its column: the value, or null
 * (counted) and, when the field holds something that is not a number, flagged bad (counted). */
static inline void put_number(int state, int64_t value, size_t row, int64_t *column,
                              unsigned char *valid, unsigned char *bad, int64_t *nulls,
                              int64_t *bad_rows) {
    column[row] = value;
    if (state == NUM_VALUE) {
        bit_set(valid, row);
        return;
    }
    (*nulls)++;
    if (state == NUM_BAD) {
        bit_set(bad, row);
        (*bad_rows)++;
    }
}

/* The columns of a complete line (field boundaries in tpos), as row `row`; 0 when memory ran
 * out. */
static ALWAYS_INLINE int add_row(Scan *s, size_t row, int64_t line,
                                 const unsigned char *const *tpos) {
    /* In locals: the bitmaps are written through char pointers, which may alias anything, so
     * fields of *s would be read again after each write. */
    const unsigned char *end = s->base + s->size;
    const uint64_t seed = s->seed;
    const uint64_t hash_mask = s->hash_mask;
    Dict *dicts = s->dicts;
    s->line_no[row] = line;
    int64_t value = 0;
    if (parse_time(FIELD(F_TIME), FIELD_LEN(F_TIME), &value)) {
        bit_set(s->time_valid, row);
    } else {
        s->time_nulls++;
    }
    s->time[row] = value;
    value = 0;
    int state = parse_number(FIELD(F_ELAPSED), FIELD_LEN(F_ELAPSED), end, 1, 15, &value);
    put_number(state, value, row, s->elapsed, s->elapsed_valid, s->elapsed_bad, &s->elapsed_nulls,
               &s->elapsed_bad_rows);
    value = 0;
    state = parse_number(FIELD(F_BYTES), FIELD_LEN(F_BYTES), end, 0, 18, &value);
    put_number(state, value, row, s->bytes, s->bytes_valid, s->bytes_bad, &s->bytes_nulls,
               &s->bytes_bad_rows);

    const unsigned char *url = FIELD(F_URL);
    size_t url_len = FIELD_LEN(F_URL);
    if (!(url_len == 1 && url[0] == '-')) {
        bit_set(s->url_valid, row);
    } else {
        s->url_nulls++;
    }
    /* The key of the host: the scheme://authority of an absolute URL, the whole target of
     * a CONNECT, and none (null) for other requests. */
    size_t key_len = absolute_prefix(url, url_len, end);
    int has_key = key_len > 0;
    if (!has_key && is_connect(FIELD(F_METHOD), FIELD_LEN(F_METHOD), end)) {
        key_len = url_len;
        has_key = 1;
    }
    /* The URLs fit in the room reserved for them (they are parts of the body). */
    copy_short(s->url_data.data + s->url_data.len, url, url_len, end);
    s->url_data.len += url_len;
    s->url_offsets[row + 1] = (int32_t)s->url_data.len;
    if (has_key) {
        bit_set(s->url_key_valid, row);
        if (!add_value(&dicts[D_URLKEY], row, url, key_len, end, seed, hash_mask)) {
            return 0;
        }
    } else {
        s->url_key_nulls++;
        dicts[D_URLKEY].indices[row] = 0; /* under a null: never read */
    }
#define ADD_VALUE(d, f) add_value(&dicts[d], row, FIELD(f), FIELD_LEN(f), end, seed, hash_mask)
    int ok = ADD_VALUE(D_CLIENT, F_CLIENT) && ADD_VALUE(D_CODE, F_CODE) &&
             ADD_VALUE(D_METHOD, F_METHOD) && ADD_VALUE(D_USER, F_USER) &&
             ADD_VALUE(D_HIER, F_HIER) && ADD_VALUE(D_MIME, F_MIME);
#undef ADD_VALUE
    return ok;
}

/* A line ends: its field boundaries are tpos[0..count) (starts and ends alternating, with
 * only the last in tpos[2 * NFIELDS] when there are more). */
static ALWAYS_INLINE int end_line(Scan *s, size_t *row, int64_t line,
                                  const unsigned char *const *tpos, size_t count) {
    if (count == 0) {
        return 1; /* blank */
    }
    const unsigned char *a = tpos[0];
    const unsigned char *b = tpos[count <= 2 * NFIELDS ? count - 1 : 2 * NFIELDS];
    size_t n = (size_t)(b - a);
    int too_long = n > s->max_chars && utf8_chars(a, n) > s->max_chars;
    if (too_long || count < 2 * NFIELDS) {
        return add_short(s, line, a, n, too_long);
    }
    return add_row(s, (*row)++, line, tpos);
}

/* The masks of block_masks for the block at p, of which `left` bytes are in the body. */
static inline void load_block(const unsigned char *p, size_t left, uint64_t *blank,
                              uint64_t *newline, int *non_ascii) {
    if (left >= 64) {
        block_masks(p, blank, newline, non_ascii);
    } else {
        /* The last bytes, padded with spaces: blank, so no field or line starts there. */
        unsigned char padded[64];
        memset(padded, ' ', sizeof(padded));
        memcpy(padded, p, left);
        block_masks(padded, blank, newline, non_ascii);
    }
}

/* The body is not valid UTF-8 from offset `off` on (it is ASCII before): go on in a copy with
 * every invalid sequence replaced by U+FFFD, as ingest decodes it. The bytes before `off` are
 * the same in the copy, so what was cut from them stands. */
static int replace_rest(Scan *s, size_t off) {
    size_t rest = utf8_replace(s->base + off, s->size - off, NULL);
    if (rest > (size_t)MAX_BODY - off) {
        s->fixed_size = off + rest;
        return SCAN_TOO_BIG;
    }
    unsigned char *fixed = malloc(off + rest);
    if (!fixed) {
        return SCAN_NO_MEMORY;
    }
    memcpy(fixed, s->base, off);
    utf8_replace(s->base + off, s->size - off, fixed + off);
    s->fixed = fixed;
    s->fixed_size = off + rest;
    s->base = fixed;
    s->size = off + rest;
    s->replaced = 1;
    /* The URLs are parts of the body, which grew. */
    return vec_reserve(&s->url_data, s->size + URL_SLACK - s->url_data.len) ? SCAN_OK
                                                                              : SCAN_NO_MEMORY;
}

/* Cut the body into lines and fields. Runs without the GIL: touches no Python object.
 * Returns SCAN_OK, SCAN_NO_MEMORY, or SCAN_TOO_BIG when the body with its invalid UTF-8
 * replaced would be over MAX_BODY.
 *
 * One pass, 64 bytes at a time: from a bitmask of the blank bytes, the field boundaries are
 * where it changes (a field starts after a blank byte and ends at one); a bitmask of the
 * newlines cuts the lines. The boundaries of a line are listed with count-trailing-zeros, and
 * its fields paired from that list. The number of fields and their lengths vary from line to
 * line: a byte loop paid for that in branch mispredictions, and a search per line read each
 * byte more than once. */
static int scan_body(Scan *s) {
    const unsigned char *base = s->base;
    size_t size = s->size;
    int64_t line = s->first_line - 1;
    size_t row = 0;
    /* The field boundaries of the current line: the first 2 * NFIELDS, then the last one (at
     * 2 * NFIELDS; the room after takes the boundaries of one block before they are cut). */
    const unsigned char *tpos[2 * NFIELDS + 64];
    size_t count = 0;
    uint64_t carry = 1; /* whether the byte before the block is blank (or before the body) */
    s->url_offsets[0] = 0;
    for (size_t off = 0; off < size; off += 64) {
        const unsigned char *block = base + off;
        uint64_t blank, newline;
        int non_ascii;
        load_block(block, size - off, &blank, &newline, &non_ascii);
        if (non_ascii && !s->utf8_valid) {
            /* The first non-ASCII byte: check the rest of the body now (what came before is
             * ASCII). The check rides on this pass otherwise: one read of the body, not two. */
            if (!utf8_valid(block, size - off)) {
                const unsigned char *old = base;
                int rc = replace_rest(s, off);
                if (rc != SCAN_OK) {
                    return rc;
                }
                base = s->base;
                size = s->size;
                block = base + off;
                for (size_t i = 0; i < count && i <= 2 * NFIELDS; i++) {
                    tpos[i] = base + (tpos[i] - old);
                }
                load_block(block, size - off, &blank, &newline, &non_ascii);
            }
            s->utf8_valid = 1;
        }
        uint64_t bounds = blank ^ ((blank << 1) | carry);
        carry = blank >> 63;
        for (;;) {
            /* The bounds up to the next newline (at which a field may end), or to the end of
             * the block. */
            uint64_t upto = newline ? newline ^ (newline - 1) : ~UINT64_C(0);
            uint64_t mine = bounds & upto;
            bounds &= ~upto;
            if (count <= 2 * NFIELDS) {
                /* Room for all 64: no bound check per boundary. */
                while (mine) {
                    tpos[count++] = block + ctz64(mine);
                    mine &= mine - 1;
                }
                if (count > 2 * NFIELDS + 1) {
                    tpos[2 * NFIELDS] = tpos[count - 1]; /* only the last one is kept */
                }
            } else if (mine) {
                /* Past the fields: the last boundary only (the end of the line's text). */
                tpos[2 * NFIELDS] = block + (63 - clz64(mine));
                count += popcount64(mine);
            }
            if (!newline) {
                break;
            }
            newline &= newline - 1;
            line++;
            if (!end_line(s, &row, line, tpos, count)) {
                return SCAN_NO_MEMORY;
            }
            count = 0;
        }
    }
    s->rows = row;
    s->lines = line - (s->first_line - 1);
    return SCAN_OK;
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

/* The Arrow string offsets of a dictionary's distinct values (the data is d->values); NULL when
 * out of memory. */
static int32_t *dict_offsets(const Dict *d) {
    int32_t *offsets = malloc((d->n + 1) * sizeof(int32_t));
    if (!offsets) {
        return NULL;
    }
    for (size_t i = 0; i < d->n; i++) {
        offsets[i] = (int32_t)d->entries[i].start;
    }
    offsets[d->n] = (int32_t)d->values.len;
    return offsets;
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
        int32_t *offsets = dict_offsets(dict);
        if (!offsets) {
            Py_DECREF(result);
            return PyErr_NoMemory();
        }
        size_t distinct = dict->n;
        snprintf(key, sizeof(key), "%s_indices", DICT_NAMES[d]);
        int ok = put_buffer(result, key, &dict->indices, rows * sizeof(int32_t));
        snprintf(key, sizeof(key), "%s_offsets", DICT_NAMES[d]);
        ok = put_buffer(result, key, &offsets, (distinct + 1) * sizeof(int32_t)) && ok;
        snprintf(key, sizeof(key), "%s_data", DICT_NAMES[d]);
        ok = put_buffer(result, key, &dict->values.data, dict->values.len) && ok;
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
    /* A different hash per scan (taken under the GIL): the address of this frame (randomised
     * by the system) and a count of the calls. */
    static uint64_t calls;
    calls++;
    s.seed = ((uint64_t)(uintptr_t)&s ^ (calls * K2)) * K1;
    s.hash_mask = COLLIDE ? 0 : ~UINT64_C(0);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = scan_alloc(&s) ? scan_body(&s) : SCAN_NO_MEMORY;
    Py_END_ALLOW_THREADS
    PyObject *result;
    if (rc == SCAN_TOO_BIG) {
        result = PyErr_Format(PyExc_ValueError,
                              "body of %zu bytes once invalid UTF-8 is replaced is over the "
                              "1 GiB limit",
                              s.fixed_size);
    } else {
        result = rc == SCAN_OK ? build_result(&s) : PyErr_NoMemory();
    }
    scan_free(&s);
    PyBuffer_Release(&body);
    return result;
}

PyDoc_STRVAR(count_lines_doc,
             "count_lines(body, /)\n--\n\n"
             "The newlines in a bytes-like body, counted without the GIL (any log format: the "
             "reader counts the lines of every chunk).");

static PyObject *squidscan_count_lines(PyObject *module, PyObject *arg) {
    (void)module;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)view.buf;
    const unsigned char *end = p + view.len;
    Py_ssize_t lines = 0;
    Py_BEGIN_ALLOW_THREADS
#if defined(__SSE2__) && !defined(SQUIDSCAN_PORTABLE)
    /* 16 bytes compared at a time; each match subtracts -1 from a byte counter, and the 16
     * counters are summed (psadbw) before any can pass 255. */
    const __m128i newline = _mm_set1_epi8('\n');
    const __m128i zero = _mm_setzero_si128();
    while (end - p >= 16) {
        __m128i counts = zero;
        for (int i = 0; i < 255 && end - p >= 16; i++, p += 16) {
            __m128i block = _mm_loadu_si128((const __m128i *)p);
            counts = _mm_sub_epi8(counts, _mm_cmpeq_epi8(block, newline));
        }
        __m128i sums = _mm_sad_epu8(counts, zero);
        lines += _mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
    }
#endif
    for (; p < end; p++) {
        lines += *p == '\n';
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(lines);
}

PyDoc_STRVAR(collide_doc,
             "_collide_hashes(on) -> None\n\n"
             "For tests: when on, every value hashes alike, so that each lookup compares the\n"
             "values themselves (the path that real collisions take, which a seeded hash makes\n"
             "impossible to aim at). Slow; results are the same.");

static PyObject *squidscan_collide(PyObject *module, PyObject *arg) {
    (void)module;
    int on = PyObject_IsTrue(arg);
    if (on < 0) {
        return NULL;
    }
    COLLIDE = on;
    Py_RETURN_NONE;
}

static PyMethodDef squidscan_methods[] = {
    {"scan", squidscan_scan, METH_VARARGS, scan_doc},
    {"count_lines", squidscan_count_lines, METH_O, count_lines_doc},
    {"_collide_hashes", squidscan_collide, METH_O, collide_doc},
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
    for (int c = 0; c < 256; c++) {
        int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        int scheme = alpha || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-';
        int stop = c == '/' || c == '?' || c == '#';
        URL_CLASS[c] = (unsigned char)((alpha ? C_ALPHA : 0) | (scheme ? C_SCHEME : 0) |
                                       (stop ? C_STOP : 0));
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
