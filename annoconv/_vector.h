/* Shared by annoconv's C kernels: a checked view of a numpy vector (any object with the buffer
   protocol). Include after Python.h. */

#ifndef ANNOCONV_VECTOR_H
#define ANNOCONV_VECTOR_H

#include <string.h>

/* A C-contiguous buffer of `itemsize`-byte items of one of the `formats` (struct codes), or -1
   with a TypeError naming the argument `name`. Release it with PyBuffer_Release. */
static int get_vector(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *formats, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    const char *format = view->format ? view->format : "B";
    if (format[0] == '<' || format[0] == '=' || format[0] == '@')
        format++;
    if (view->itemsize != itemsize || strlen(format) != 1 || strchr(formats, format[0]) == NULL) {
        PyErr_Format(PyExc_TypeError, "%s: expected a contiguous array of %zd-byte items of type '%s', got '%s'",
                     name, itemsize, formats, view->format ? view->format : "B");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

#endif
