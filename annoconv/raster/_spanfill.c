/* Exact row spans of polygon shapes and their painting: the compiled core of annoconv.raster.

   ring_spans() computes what spans.ring_spans() computes with numpy, with the same float64
   operations in the same order (built with -ffp-contract=off), so both give identical spans:
   pixel (c, r) belongs to a shape when its centre (c + 0.5, r + 0.5) lies inside its rings,
   combined even-odd; an edge from top (x0, y0) to bottom (x1, y1) toggles rows whose centre
   y = r + 0.5 lies in [y0, y1) from column ceil(x - 0.5) on, x being the crossing.

   Every crossing is certified as spans.py does it: the float64 column is taken when the crossing
   lies further than a generous error bound from a pixel centre; nearer ones are decided exactly
   with integers (see exact_column). A shape with a crossing that cannot be decided so
   (coordinates whose exact integer form needs more than 61 bits, coordinates near the float64
   limit, NaN) is not computed here: its number is returned, and the caller computes it with the
   exact numpy code.

   paint_spans() writes one value into the spans [lo, hi) of a 2-D array (any integer dtype of
   1, 2, 4 or 8 bytes, rows contiguous): memset-speed painting instead of polygon fills. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../_vector.h"

#define HALF_FAR (549755813888.0)     /* 2^39: crossings of such edges cannot overflow */

typedef struct {
    double tx, ty, bx, by, slope, tolerance;
    int64_t first, last;
} Edge;

typedef struct {
    int64_t *data;
    Py_ssize_t length, capacity;
} Growing;

static int grow(Growing *g, Py_ssize_t need) {
    if (need <= g->capacity)
        return 0;
    Py_ssize_t capacity = g->capacity ? g->capacity : 256;
    while (capacity < need)
        capacity *= 2;
    int64_t *data = PyMem_Realloc(g->data, (size_t)capacity * sizeof(int64_t));
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    g->data = data;
    g->capacity = capacity;
    return 0;
}

#ifdef __SIZEOF_INT128__
/* The exponent d of the lowest set bit of a finite value: v = n * 2^-d with n an odd integer. */
static int lowest_bit(double v) {
    int e;
    uint64_t m = (uint64_t)ldexp(frexp(fabs(v), &e), 53);  /* v = m * 2^(e - 53), exactly */
    return 53 - e - __builtin_ctzll(m);
}
#endif

/* Exact ceil(x - 0.5) for a crossing within `tolerance` of the centre of column `nearest`
   (the column is `nearest` or `nearest + 1`); *ok = 0 when it cannot be decided here.

   Every float64 is a dyadic rational: scaled by one power of two, the edge's end points and
   the pixel centre become integers, and the side of the edge the centre lies on is the sign of
   a cross product of integers. When they fit in 61 bits the cross product is exact in 128-bit
   arithmetic; otherwise (and without a 128-bit type) the numpy code decides. */
static double exact_column(const Edge *e, int64_t row, double nearest, int *ok) {
#ifdef __SIZEOF_INT128__
    const double limit = 2305843009213693952.0;  /* 2^61 */
    double v[6] = {e->tx, e->ty, e->bx, e->by, nearest + 0.5, (double)row + 0.5};
    int scale = INT32_MIN;
    for (int i = 0; i < 6; i++)
        if (v[i] != 0.0) {
            int d = lowest_bit(v[i]);
            if (d > scale)
                scale = d;
        }
    int64_t n[6];
    for (int i = 0; i < 6; i++) {
        double scaled = ldexp(v[i], scale);  /* exact: an integer, as long as it is below 2^61 */
        if (!(e->tolerance < 0.5 && fabs(scaled) < limit)) {
            *ok = 0;
            return 0.0;
        }
        n[i] = (int64_t)scaled;
    }
    /* The centre (n[4], n[5]) is on or right of the downward edge when this is >= 0. */
    __int128 cross = (__int128)(n[4] - n[0]) * (n[3] - n[1]) - (__int128)(n[5] - n[1]) * (n[2] - n[0]);
    return cross >= 0 ? nearest : nearest + 1.0;
#else
    (void)e;
    (void)row;
    (void)nearest;
    *ok = 0;
    return 0.0;
#endif
}

static int compare_int64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void sort_columns(int64_t *c, Py_ssize_t n) {
    if (n > 24) {
        qsort(c, (size_t)n, sizeof(int64_t), compare_int64);
        return;
    }
    for (Py_ssize_t i = 1; i < n; i++) {
        int64_t v = c[i];
        Py_ssize_t j = i;
        while (j > 0 && c[j - 1] > v) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = v;
    }
}

typedef struct {
    Edge *edges;
    Py_ssize_t edge_capacity;
    int64_t *row_slots;   /* per row of the shape: its first toggle, then a write cursor */
    Py_ssize_t row_capacity;
    int64_t *columns;     /* toggles grouped by row */
    Py_ssize_t column_capacity;
} Scratch;

static int reserve(void **p, Py_ssize_t *capacity, Py_ssize_t need, size_t size) {
    if (need <= *capacity)
        return 0;
    Py_ssize_t c = *capacity ? *capacity : 64;
    while (c < need)
        c *= 2;
    void *q = PyMem_Realloc(*p, (size_t)c * size);
    if (q == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *p = q;
    *capacity = c;
    return 0;
}

/* Spans of one shape (vertices pts[2*v], pts[2*v+1] of rings [ring_a, ring_b)) appended to out[4].
   Returns 1 when done, 0 when the shape needs the exact numpy code, -1 on error. */
static int shape_spans(const double *pts, const int64_t *ring_start, const int64_t *lengths, Py_ssize_t ring_a,
                       Py_ssize_t ring_b, int64_t shape, int64_t height, int64_t width, Scratch *s,
                       Growing out[4]) {
    Py_ssize_t n_vertices = 0;
    for (Py_ssize_t r = ring_a; r < ring_b; r++)
        n_vertices += lengths[r];
    if (reserve((void **)&s->edges, &s->edge_capacity, n_vertices, sizeof(Edge)) < 0)
        return -1;
    Py_ssize_t n_edges = 0;
    int64_t row_lo = height, row_hi = 0, total = 0;
    const double fheight = (double)height;
    for (Py_ssize_t r = ring_a; r < ring_b; r++) {
        int64_t start = ring_start[r], n = lengths[r];
        for (int64_t k = 0; k < n; k++) {
            const double *p = pts + 2 * (start + k), *q = pts + 2 * (start + (k + 1 < n ? k + 1 : 0));
            if (isnan(p[0]) || isnan(p[1]) || isnan(q[0]) || isnan(q[1]))
                return 0;
            if (p[1] == q[1])
                continue;  /* horizontal edges cross no row centre's half-open interval */
            const double *top = p[1] < q[1] ? p : q, *bottom = p[1] < q[1] ? q : p;
            double first = ceil(top[1] - 0.5), last = ceil(bottom[1] - 0.5);
            first = first < 0.0 ? 0.0 : (first > fheight ? fheight : first);
            last = last < 0.0 ? 0.0 : (last > fheight ? fheight : last);
            if (!(last > first))
                continue;
            Edge *e = &s->edges[n_edges++];
            e->tx = top[0];
            e->ty = top[1];
            e->bx = bottom[0];
            e->by = bottom[1];
            double dx = bottom[0] - top[0], dy = bottom[1] - top[1];
            e->slope = dx / dy;
            double magnitude = fabs(top[0]) > fabs(bottom[0]) ? fabs(top[0]) : fabs(bottom[0]);
            if (!isfinite(dx) || !isfinite(dy) || !isfinite(e->slope) || !(magnitude < HALF_FAR))
                return 0;
            e->tolerance = 1e-9 * (1.0 + 2.0 * magnitude);
            e->first = (int64_t)first;
            e->last = (int64_t)last;
            if (e->first < row_lo)
                row_lo = e->first;
            if (e->last > row_hi)
                row_hi = e->last;
            total += e->last - e->first;
        }
    }
    if (total == 0)
        return 1;
    Py_ssize_t rows = (Py_ssize_t)(row_hi - row_lo);
    if (reserve((void **)&s->row_slots, &s->row_capacity, rows + 1, sizeof(int64_t)) < 0 ||
        reserve((void **)&s->columns, &s->column_capacity, (Py_ssize_t)total, sizeof(int64_t)) < 0)
        return -1;
    /* Counting sort by row: counts, then each row's first slot (used as a cursor while placing). */
    int64_t *slot = s->row_slots;
    memset(slot, 0, (size_t)(rows + 1) * sizeof(int64_t));
    for (Py_ssize_t i = 0; i < n_edges; i++) {
        slot[s->edges[i].first - row_lo]++;
        slot[s->edges[i].last - row_lo]--;
    }
    int64_t running = 0, position = 0;
    for (Py_ssize_t r = 0; r < rows; r++) {
        running += slot[r];  /* toggles in row r */
        slot[r] = position;
        position += running;
    }
    slot[rows] = position;
    const double fwidth = (double)width;
    for (Py_ssize_t i = 0; i < n_edges; i++) {
        const Edge *e = &s->edges[i];
        for (int64_t row = e->first; row < e->last; row++) {
            double shifted = e->tx + ((double)row + 0.5 - e->ty) * e->slope - 0.5;
            double nearest = rint(shifted), column;
            if (fabs(shifted - nearest) > e->tolerance) {
                column = ceil(shifted);
            } else {
                int ok = 1;
                column = exact_column(e, row, nearest, &ok);
                if (!ok)
                    return 0;
            }
            column = column < 0.0 ? 0.0 : (column > fwidth ? fwidth : column);
            s->columns[slot[row - row_lo]++] = (int64_t)column;
        }
    }
    /* slot[r] now points at the end of row r, which is where row r + 1 starts. */
    Py_ssize_t begin = 0;
    for (Py_ssize_t r = 0; r < rows; r++) {
        Py_ssize_t end = (Py_ssize_t)slot[r], count = end - begin;
        if (count & 1)
            return 0;  /* cannot happen for closed rings; let the numpy code decide */
        int64_t *c = s->columns + begin;
        sort_columns(c, count);
        for (Py_ssize_t k = 0; k < count; k += 2) {
            if (c[k] >= c[k + 1])
                continue;
            Py_ssize_t at = out[0].length;
            for (int j = 0; j < 4; j++)
                if (grow(&out[j], at + 1) < 0)
                    return -1;
            out[0].data[at] = shape;
            out[1].data[at] = row_lo + r;
            out[2].data[at] = c[k];
            out[3].data[at] = c[k + 1];
            for (int j = 0; j < 4; j++)
                out[j].length = at + 1;
        }
        begin = end;
    }
    return 1;
}

static PyObject *to_bytearray(Growing *g) {
    return PyByteArray_FromStringAndSize((const char *)g->data, (Py_ssize_t)(g->length * sizeof(int64_t)));
}

PyDoc_STRVAR(ring_spans_doc,
"ring_spans(points, lengths, ring_shape, heights, widths) -> (shape, row, start, stop, undecided)\n\n"
"points: float64 (N, 2) x, y of all ring vertices; lengths: int64 vertex count of each ring;\n"
"ring_shape: int64 shape of each ring, non-decreasing (a shape's rings are consecutive);\n"
"heights, widths: int64 image size of each shape. Returns four bytearrays of int64 spans sorted\n"
"by (shape, row, start), each span covering columns [start, stop) of its row, and a list of\n"
"the shapes left undecided (not in the spans).");

static PyObject *ring_spans(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "ring_spans takes 5 arguments");
        return NULL;
    }
    Py_buffer views[5];
    const char *names[5] = {"points", "lengths", "ring_shape", "heights", "widths"};
    int got = 0;
    for (; got < 5; got++)
        if (get_vector(args[got], &views[got], 8, got == 0 ? "d" : "lq", names[got]) < 0)
            break;
    PyObject *result = NULL, *undecided = NULL;
    Growing out[4] = {{0}};
    Scratch scratch = {0};
    if (got < 5)
        goto done;
    const double *pts = views[0].buf;
    const int64_t *lengths = views[1].buf, *ring_shape = views[2].buf, *heights = views[3].buf,
                  *widths = views[4].buf;
    Py_ssize_t n_points = views[0].len / 16, n_rings = views[1].len / 8, n_shapes = views[3].len / 8;
    if (views[2].len / 8 != n_rings || views[4].len / 8 != n_shapes) {
        PyErr_SetString(PyExc_ValueError, "ring_shape must match lengths, widths must match heights");
        goto done;
    }
    int64_t *ring_start = PyMem_Malloc((size_t)(n_rings + 1) * sizeof(int64_t));
    if (ring_start == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t sum = 0;
    for (Py_ssize_t r = 0; r < n_rings; r++) {
        if (lengths[r] < 0 || ring_shape[r] < 0 || ring_shape[r] >= n_shapes ||
            (r > 0 && ring_shape[r] < ring_shape[r - 1])) {
            PyErr_SetString(PyExc_ValueError, "ring lengths must be >= 0 and ring_shape non-decreasing shape numbers");
            PyMem_Free(ring_start);
            goto done;
        }
        ring_start[r] = sum;
        sum += lengths[r];
    }
    if (sum != n_points) {
        PyErr_SetString(PyExc_ValueError, "ring lengths do not add up to the number of points");
        PyMem_Free(ring_start);
        goto done;
    }
    undecided = PyList_New(0);
    if (undecided == NULL) {
        PyMem_Free(ring_start);
        goto done;
    }
    int status = 1;
    for (Py_ssize_t a = 0; a < n_rings && status >= 0;) {
        Py_ssize_t b = a + 1;
        while (b < n_rings && ring_shape[b] == ring_shape[a])
            b++;
        int64_t shape = ring_shape[a];
        Py_ssize_t mark = out[0].length;
        status = shape_spans(pts, ring_start, lengths, a, b, shape, heights[shape], widths[shape], &scratch, out);
        if (status == 0) {
            for (int j = 0; j < 4; j++)
                out[j].length = mark;  /* drop what it had appended */
            PyObject *number = PyLong_FromLongLong(shape);
            if (number == NULL || PyList_Append(undecided, number) < 0) {
                Py_XDECREF(number);
                status = -1;
                break;
            }
            Py_DECREF(number);
            status = 1;
        }
        a = b;
    }
    PyMem_Free(ring_start);
    if (status < 0)
        goto done;
    PyObject *arrays[4];
    for (int j = 0; j < 4; j++) {
        arrays[j] = to_bytearray(&out[j]);
        if (arrays[j] == NULL) {
            for (int i = 0; i < j; i++)
                Py_DECREF(arrays[i]);
            goto done;
        }
    }
    result = Py_BuildValue("(NNNNO)", arrays[0], arrays[1], arrays[2], arrays[3], undecided);
done:
    Py_XDECREF(undecided);
    for (int j = 0; j < 4; j++)
        PyMem_Free(out[j].data);
    PyMem_Free(scratch.edges);
    PyMem_Free(scratch.row_slots);
    PyMem_Free(scratch.columns);
    for (int i = 0; i < got; i++)
        PyBuffer_Release(&views[i]);
    return result;
}

PyDoc_STRVAR(paint_spans_doc,
"paint_spans(array, row, start, stop, lo, hi, value)\n\n"
"Set columns [start[k], stop[k]) of row row[k] of the 2-D integer array to value, for k in\n"
"[lo, hi). The spans (int64 vectors) must lie inside the array; its rows must be contiguous.");

static PyObject *paint_spans(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "paint_spans takes 7 arguments");
        return NULL;
    }
    Py_ssize_t lo = PyLong_AsSsize_t(args[4]), hi = PyLong_AsSsize_t(args[5]);
    unsigned long long value = PyLong_AsUnsignedLongLong(args[6]);
    if (PyErr_Occurred())
        return NULL;
    Py_buffer target, views[3];
    if (PyObject_GetBuffer(args[0], &target, PyBUF_RECORDS) < 0)
        return NULL;
    int got = 0;
    PyObject *result = NULL;
    Py_ssize_t size = target.itemsize;
    if (target.ndim != 2 || target.strides[1] != size || target.strides[0] < target.shape[1] * size ||
        (size != 1 && size != 2 && size != 4 && size != 8)) {
        PyErr_SetString(PyExc_ValueError, "paint_spans: expected a 2-D array of 1-, 2-, 4- or 8-byte items "
                                          "with contiguous rows");
        goto done;
    }
    if (size < 8 && value >> (8 * size)) {
        PyErr_Format(PyExc_OverflowError, "paint_spans: value %llu does not fit in %zd bytes", value, size);
        goto done;
    }
    const char *names[3] = {"row", "start", "stop"};
    for (; got < 3; got++)
        if (get_vector(args[1 + got], &views[got], 8, "lq", names[got]) < 0)
            goto done;
    Py_ssize_t n = views[0].len / 8;
    if (views[1].len / 8 != n || views[2].len / 8 != n || lo < 0 || hi > n || lo > hi) {
        PyErr_SetString(PyExc_ValueError, "paint_spans: span vectors of different lengths or lo, hi out of range");
        goto done;
    }
    const int64_t *row = views[0].buf, *start = views[1].buf, *stop = views[2].buf;
    const int64_t height = target.shape[0], width = target.shape[1];
    for (Py_ssize_t k = lo; k < hi; k++)
        if (row[k] < 0 || row[k] >= height || start[k] < 0 || stop[k] > width || start[k] > stop[k]) {
            PyErr_Format(PyExc_ValueError, "paint_spans: span %zd (row %lld, columns %lld..%lld) lies outside "
                         "the %lld x %lld array", k, (long long)row[k], (long long)start[k], (long long)stop[k],
                         (long long)height, (long long)width);
            goto done;
        }
    char *base = target.buf;
    const Py_ssize_t stride = target.strides[0];
    for (Py_ssize_t k = lo; k < hi; k++) {
        char *line = base + row[k] * stride;
        int64_t a = start[k], b = stop[k];
        switch (size) {
        case 1:
            memset(line + a, (int)value, (size_t)(b - a));
            break;
        case 2:
            for (uint16_t *p = (uint16_t *)line + a, *e = (uint16_t *)line + b; p < e; p++)
                *p = (uint16_t)value;
            break;
        case 4:
            for (uint32_t *p = (uint32_t *)line + a, *e = (uint32_t *)line + b; p < e; p++)
                *p = (uint32_t)value;
            break;
        default:
            for (uint64_t *p = (uint64_t *)line + a, *e = (uint64_t *)line + b; p < e; p++)
                *p = (uint64_t)value;
        }
    }
    result = Py_NewRef(Py_None);
done:
    for (int i = 0; i < got; i++)
        PyBuffer_Release(&views[i]);
    PyBuffer_Release(&target);
    return result;
}

static PyMethodDef methods[] = {
    {"ring_spans", (PyCFunction)(void (*)(void))ring_spans, METH_FASTCALL, ring_spans_doc},
    {"paint_spans", (PyCFunction)(void (*)(void))paint_spans, METH_FASTCALL, paint_spans_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_spanfill", "Exact polygon spans and span painting (see spans.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__spanfill(void) { return PyModule_Create(&module); }
