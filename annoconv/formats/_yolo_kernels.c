/* The YOLO writer's hot loops in C; the numpy code beside each gives the same results.

   encode(values, is_fraction, row_last, decimals) -> (text: bytes, ends: bytearray of int64)
   The text of YOLO label rows (see _yolo_text.py).
   A token is a non-negative integer written in decimal, or a fraction given in units of
   10**-decimals and written as "%.{decimals}f" would, trailing zeros and a bare point stripped
   (0 and 1 for the ends of [0, 1]); each is followed by a space, or a newline where it ends a
   row. Integer arithmetic only: no float formatting, so nothing depends on the C library.

   closest(a, b) -> (i, j)
   The closest pair of vertices a[i], b[j] of two (N, 2) float64 arrays by squared distance
   dx * dx + dy * dy, the first in (i, j) order on ties (see _yolo_geometry.py). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../_vector.h"

/* Decimal digits of v >= 0 at p; returns the end. */
static char *put_integer(char *p, uint64_t v) {
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = digits[--n];
    return p;
}

static PyObject *encode(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "encode takes 4 arguments");
        return NULL;
    }
    long decimals = PyLong_AsLong(args[3]);
    if (decimals == -1 && PyErr_Occurred())
        return NULL;
    if (decimals < 1 || decimals > 18) {
        PyErr_SetString(PyExc_ValueError, "decimals must lie in 1..18");
        return NULL;
    }
    Py_buffer views[3];
    const char *names[3] = {"values", "is_fraction", "row_last"};
    int got = 0;
    PyObject *text = NULL, *ends = NULL, *result = NULL;
    for (; got < 3; got++)
        if (get_vector(args[got], &views[got], got == 0 ? 8 : 1, got == 0 ? "lq" : "?bB", names[got]) < 0)
            goto done;
    Py_ssize_t count = views[0].len / 8;
    if (views[1].len != count || views[2].len != count) {
        PyErr_SetString(PyExc_ValueError, "values, is_fraction and row_last must have one entry per token");
        goto done;
    }
    const int64_t *values = views[0].buf;
    const char *fraction = views[1].buf, *last = views[2].buf;
    int64_t unit = 1;
    for (long k = 0; k < decimals; k++)
        unit *= 10;
    Py_ssize_t widest = (decimals + 2 > 20 ? decimals + 2 : 20) + 1;
    if (count > PY_SSIZE_T_MAX / widest) {
        PyErr_NoMemory();
        goto done;
    }
    text = PyBytes_FromStringAndSize(NULL, count * widest);
    ends = PyByteArray_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(int64_t));
    if (text == NULL || ends == NULL)
        goto done;
    char *start = PyBytes_AS_STRING(text), *p = start;
    int64_t *end = (int64_t *)PyByteArray_AS_STRING(ends);
    for (Py_ssize_t k = 0; k < count; k++) {
        int64_t v = values[k];
        if (!fraction[k]) {
            if (v < 0) {
                PyErr_Format(PyExc_ValueError, "token %zd: integer tokens must be >= 0, got %lld", k, (long long)v);
                goto done;
            }
            p = put_integer(p, (uint64_t)v);
        } else if (v <= 0) {
            *p++ = '0';
        } else if (v >= unit) {
            *p++ = '1';
        } else {
            *p++ = '0';
            *p++ = '.';
            int places = (int)decimals;
            while (v % 10 == 0) {  /* trailing zeros are not written */
                v /= 10;
                places--;
            }
            char *digits = p + places;
            for (char *q = digits - 1; q >= p; q--) {
                *q = (char)('0' + v % 10);
                v /= 10;
            }
            p = digits;
        }
        *p++ = last[k] ? '\n' : ' ';
        end[k] = p - start;
    }
    if (_PyBytes_Resize(&text, p - start) < 0)
        goto done;
    result = PyTuple_Pack(2, text, ends);
done:
    Py_XDECREF(text);
    Py_XDECREF(ends);
    for (int i = 0; i < got; i++)
        PyBuffer_Release(&views[i]);
    return result;
}

static PyObject *closest(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "closest takes 2 arguments");
        return NULL;
    }
    Py_buffer a, b;
    if (get_vector(args[0], &a, 8, "d", "a") < 0)
        return NULL;
    if (get_vector(args[1], &b, 8, "d", "b") < 0) {
        PyBuffer_Release(&a);
        return NULL;
    }
    Py_ssize_t n = a.len / 16, m = b.len / 16;
    PyObject *result = NULL;
    if (n == 0 || m == 0 || a.len % 16 || b.len % 16) {
        PyErr_SetString(PyExc_ValueError, "closest: expected two non-empty (N, 2) arrays");
    } else {
        const double *p = a.buf, *q = b.buf;
        double best = INFINITY;
        Py_ssize_t bi = 0, bj = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            const double x = p[2 * i], y = p[2 * i + 1];
            for (Py_ssize_t j = 0; j < m; j++) {
                const double dx = x - q[2 * j], dy = y - q[2 * j + 1];
                const double d = dx * dx + dy * dy;
                if (d < best) {
                    best = d;
                    bi = i;
                    bj = j;
                }
            }
        }
        result = Py_BuildValue("(nn)", bi, bj);
    }
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return result;
}

static PyMethodDef methods[] = {
    {"closest", (PyCFunction)(void (*)(void))closest, METH_FASTCALL,
     "closest(a, b) -> (i, j): the closest pair of vertices a[i], b[j] (see _yolo_kernels.c)."},
    {"encode", (PyCFunction)(void (*)(void))encode, METH_FASTCALL,
     "encode(values, is_fraction, row_last, decimals) -> (text, ends): YOLO row text (see _yolo_text.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_yolo_kernels", "The YOLO writer's hot loops.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__yolo_kernels(void) { return PyModule_Create(&module); }
