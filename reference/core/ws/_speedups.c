/* Optional C speedups for reference.core.ws: apply_mask(data, key) -> bytes (mask.py) and
 * read_simple_frame(data, pos, masked, room) (frames.py's fast path).
 *
 * RFC 6455 §5.3: "Octet i of the transformed data ("transformed-octet-i") is the XOR of octet i of the
 * original data ("original-octet-i") with octet at index i modulo 4 of the masking key".
 * The loop XORs eight bytes at a time with the key repeated twice; memcpy keeps the loads and stores
 * legal on any alignment and compiles to plain moves.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Release the GIL only when the loop takes longer than the release costs. */
#define RELEASE_GIL_ABOVE 65536

static PyObject *
apply_mask(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer data, key;
    PyObject *result = NULL;

    (void)self;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "apply_mask() takes 2 arguments, got %zd", nargs);
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[1], &key, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    if (key.len != 4) {
        PyErr_Format(PyExc_ValueError, "mask key must be 4 bytes, got %zd", key.len);
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, data.len);
    if (result == NULL) {
        goto done;
    }
    {
        const unsigned char *src = (const unsigned char *)data.buf;
        const unsigned char *k = (const unsigned char *)key.buf;
        unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(result);
        Py_ssize_t n = data.len, i = 0;
        uint64_t word_key, word;
        unsigned char key8[8];

        memcpy(key8, k, 4);
        memcpy(key8 + 4, k, 4);
        memcpy(&word_key, key8, 8);
        PyThreadState *save = n > RELEASE_GIL_ABOVE ? PyEval_SaveThread() : NULL;
        for (; i + 8 <= n; i += 8) {
            memcpy(&word, src + i, 8);
            word ^= word_key;
            memcpy(dst + i, &word, 8);
        }
        for (; i < n; i++) {
            dst[i] = src[i] ^ k[i & 3];
        }
        if (save != NULL) {
            PyEval_RestoreThread(save);
        }
    }

done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&key);
    return result;
}

/* XOR n bytes of src into dst with the key repeated, starting at key phase 0 (same loop as apply_mask). */
static void
xor_into(unsigned char *dst, const unsigned char *src, Py_ssize_t n, const unsigned char *k)
{
    Py_ssize_t i = 0;
    uint64_t word_key, word;
    unsigned char key8[8];

    memcpy(key8, k, 4);
    memcpy(key8 + 4, k, 4);
    memcpy(&word_key, key8, 8);
    for (; i + 8 <= n; i += 8) {
        memcpy(&word, src + i, 8);
        word ^= word_key;
        memcpy(dst + i, &word, 8);
    }
    for (; i < n; i++) {
        dst[i] = src[i] ^ k[i & 3];
    }
}

/* read_simple_frame(data, pos, masked, room) -> (opcode, fin, payload, end) | None
 *
 * The fast path of FrameParser.next_frame. It ACCEPTS ONLY a strict subset of what the Python parser
 * accepts and decides nothing else: a complete frame at data[pos:] with RSV1-3 clear, a defined opcode
 * (0, 1, 2, 8, 9, 10), the MASK bit equal to `masked`, the minimal length encoding with the 64-bit MSB
 * clear, a control frame final and <= 125 bytes, a data frame no longer than `room` (-1: no limit).
 * For anything else (an incomplete frame, RSV bits, any rule broken) it returns None and the Python
 * parser, which holds every RFC 6455 check and its error message, reads the frame itself.
 * tests/reference/core/test_ws_speedups.py and fuzz/fuzz_ws_speedups.py compare both on the same bytes.
 */
static PyObject *
read_simple_frame(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer data;
    PyObject *result = NULL, *payload = NULL;
    Py_ssize_t pos, room, avail, header, end;
    int masked;
    unsigned char b0, b1, opcode;
    uint64_t length;

    (void)self;
    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "read_simple_frame() takes 4 arguments, got %zd", nargs);
        return NULL;
    }
    pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred()) {
        return NULL;
    }
    masked = PyObject_IsTrue(args[2]);
    if (masked < 0) {
        return NULL;
    }
    room = PyLong_AsSsize_t(args[3]);
    if (room == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (pos < 0 || pos > data.len) {
        PyErr_SetString(PyExc_ValueError, "pos out of range");
        goto done;
    }
    {
        const unsigned char *p = (const unsigned char *)data.buf + pos;
        avail = data.len - pos;
        if (avail < 2) {
            goto decline;
        }
        b0 = p[0];
        b1 = p[1];
        opcode = b0 & 0x0F;
        if (b0 & 0x70) {                                   /* RSV1-3: Python decides */
            goto decline;
        }
        if (!(opcode <= 2 || (opcode >= 8 && opcode <= 10))) {  /* reserved opcode */
            goto decline;
        }
        if (((b1 & 0x80) != 0) != masked) {                /* wrong masking */
            goto decline;
        }
        length = b1 & 0x7F;
        header = 2;
        if (opcode >= 8 && (!(b0 & 0x80) || length > 125)) {  /* fragmented or long control frame */
            goto decline;
        }
        if (length == 126) {
            if (avail < 4) {
                goto decline;
            }
            length = ((uint64_t)p[2] << 8) | p[3];
            header = 4;
            if (length < 126) {
                goto decline;
            }
        }
        else if (length == 127) {
            int i;
            if (avail < 10) {
                goto decline;
            }
            length = 0;
            for (i = 2; i < 10; i++) {
                length = (length << 8) | p[i];
            }
            header = 10;
            if ((length >> 63) || length <= 0xFFFF) {
                goto decline;
            }
        }
        if (room >= 0 && opcode < 8 && length > (uint64_t)room) {
            goto decline;
        }
        if (masked) {
            header += 4;
        }
        if (avail < header || length > (uint64_t)(avail - header)) {   /* incomplete */
            goto decline;
        }
        end = pos + header + (Py_ssize_t)length;
        payload = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)length);
        if (payload == NULL) {
            goto done;
        }
        if (masked) {
            xor_into((unsigned char *)PyBytes_AS_STRING(payload), p + header, (Py_ssize_t)length,
                     p + header - 4);
        }
        else {
            memcpy(PyBytes_AS_STRING(payload), p + header, (size_t)length);
        }
        result = PyTuple_New(4);
        if (result == NULL) {
            Py_DECREF(payload);
            goto done;
        }
        PyTuple_SET_ITEM(result, 0, PyLong_FromLong(opcode));  /* small ints: cached, cannot fail */
        PyTuple_SET_ITEM(result, 1, Py_NewRef((b0 & 0x80) ? Py_True : Py_False));
        PyTuple_SET_ITEM(result, 2, payload);
        PyTuple_SET_ITEM(result, 3, PyLong_FromSsize_t(end));
        if (PyTuple_GET_ITEM(result, 3) == NULL) {
            Py_CLEAR(result);
        }
        goto done;
    }
decline:
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&data);
    return result;
}

static PyMethodDef speedups_methods[] = {
    {"apply_mask", (PyCFunction)(void (*)(void))apply_mask, METH_FASTCALL,
     "apply_mask(data, key) -> bytes\n\nXOR data with the 4-byte key repeated (RFC 6455 section 5.3)."},
    {"read_simple_frame", (PyCFunction)(void (*)(void))read_simple_frame, METH_FASTCALL,
     "read_simple_frame(data, pos, masked, room) -> (opcode, fin, payload, end) | None\n\n"
     "Read one complete frame that breaks no rule, or return None and let the Python parser decide."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "reference.core.ws._speedups",
    .m_doc = "C speedups for WebSocket masking and frame reading.",
    .m_size = -1,
    .m_methods = speedups_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&speedups_module);
}
