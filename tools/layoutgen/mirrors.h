/* Layouts CPython keeps in .c files rather than installed headers, restated
 * member for member so the compiler (not us) computes their offsets with the
 * probed version's PyObject_HEAD and ABI. Each names the CPython file that
 * defines the real struct; the generated table marks every value taken from
 * here as "mirror", and tests/unit/layouts checks them against the DWARF-derived
 * numbers of the fact sheet. */
#ifndef PYAUTOPSY_LAYOUTGEN_MIRRORS_H
#define PYAUTOPSY_LAYOUTGEN_MIRRORS_H

#if PY_VERSION_HEX < 0x030B0000
/* PyDictKeysObject, 3.8-3.10: Objects/dict-common.h (struct _dictkeysobject). */
struct pyautopsy_dictkeys_3_8 {
    Py_ssize_t dk_refcnt;
    Py_ssize_t dk_size;
    void *dk_lookup;            /* dict_lookup_func */
    Py_ssize_t dk_usable;
    Py_ssize_t dk_nentries;
    char dk_indices[];
};
#endif

#if PY_VERSION_HEX < 0x030A0000
/* PyModuleObject, 3.8-3.9: Objects/moduleobject.c (3.10+: pycore_moduleobject.h). */
struct pyautopsy_module_3_8 {
    PyObject_HEAD
    PyObject *md_dict;
    struct PyModuleDef *md_def;
    void *md_state;
    PyObject *md_weaklist;
    PyObject *md_name;
};

/* The atexit module's state, 3.8-3.9: Modules/atexitmodule.c
 * (atexit_callback and atexitmodule_state; 3.10+: struct atexit_state). */
struct pyautopsy_atexit_callback_3_8 {
    PyObject *func;
    PyObject *args;
    PyObject *kwargs;
};
struct pyautopsy_atexitmodule_state_3_8 {
    struct pyautopsy_atexit_callback_3_8 **atexit_callbacks;
    int ncallbacks;
    int callback_len;
};
#endif

/* functools.partial, 3.8+: Modules/_functoolsmodule.c (partialobject); its
 * first members have kept this order in every version. */
struct pyautopsy_partial {
    PyObject_HEAD
    PyObject *fn;
    PyObject *args;
    PyObject *kw;
};

#endif
