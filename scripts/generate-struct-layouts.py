"""Writes this interpreter's struct offsets as JSON, for sampler/layouts/struct-<major.minor>.json.

CPython 3.8-3.12 carry no _Py_DebugOffsets table, so the offsets tachyon-top reads them with are
shipped as data. They come from the interpreter's own headers: this script compiles a small
offsetof() probe against the headers the running interpreter was built with (sysconfig's include
directory, internal headers included, as an extension module built with Py_BUILD_CORE would see
them), then checks the result against the live interpreter: the thread state must point at the
current frame, the runtime at the interpreter, a code object at its own name and line table, and
so on. The entry names are those of CPython 3.13+'s _Py_DebugOffsets where one exists, so the
same mapping (sampler/layouts.ts) reads both.

Needs a C compiler and an interpreter with its headers (pyenv builds have them):

    for py in ~/.pyenv/versions/3.{8,9,10,11,12}.*/bin/python3; do
        $py scripts/generate-struct-layouts.py > sampler/layouts/struct-$($py -c 'import sys; print("%d.%d" % sys.version_info[:2])').json
    done
"""
import ctypes
import gc
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import threading

MINOR = sys.version_info[1]
WORD = 8


def fields():
    """(entry name, C expression) for every offset or size we read, in this version's terms."""
    f = []
    add = lambda name, expr: f.append((name, expr))  # noqa: E731
    add("runtime_state.interpreters_head", "offsetof(_PyRuntimeState, interpreters.head)")
    if MINOR <= 11:
        add("runtime_state.gil_locked", "offsetof(_PyRuntimeState, ceval.gil.locked)")
        add("runtime_state.gil_holder", "offsetof(_PyRuntimeState, ceval.gil.last_holder)")
    if MINOR == 8:
        add("runtime_state.gc", "offsetof(_PyRuntimeState, gc)")
    add("interpreter_state.next", "offsetof(PyInterpreterState, next)")
    add("interpreter_state.id", "offsetof(PyInterpreterState, id)")
    add("interpreter_state.threads_head", "offsetof(PyInterpreterState, tstate_head)" if MINOR <= 10 else "offsetof(PyInterpreterState, threads.head)")
    add("interpreter_state.imports_modules", "offsetof(PyInterpreterState, imports.modules)" if MINOR >= 12 else "offsetof(PyInterpreterState, modules)")
    if MINOR >= 9:
        add("interpreter_state.gc", "offsetof(PyInterpreterState, gc)")
    if MINOR == 12:
        add("interpreter_state.gil_pointer", "offsetof(PyInterpreterState, ceval.gil)")
        add("gil_runtime_state.locked", "offsetof(struct _gil_runtime_state, locked)")
        add("gil_runtime_state.last_holder", "offsetof(struct _gil_runtime_state, last_holder)")
    add("gc.collecting", "offsetof(struct _gc_runtime_state, collecting)")

    add("thread_state.size", "sizeof(PyThreadState)")
    add("thread_state.next", "offsetof(PyThreadState, next)")
    add("thread_state.interp", "offsetof(PyThreadState, interp)")
    add("thread_state.thread_id", "offsetof(PyThreadState, thread_id)")
    if MINOR <= 10:
        add("thread_state.current_frame", "offsetof(PyThreadState, frame)")
    else:
        add("thread_state.cframe", "offsetof(PyThreadState, cframe)")
        add("cframe.current_frame", "offsetof(_PyCFrame, current_frame)")
        add("thread_state.native_thread_id", "offsetof(PyThreadState, native_thread_id)")
        add("thread_state.datastack_chunk", "offsetof(PyThreadState, datastack_chunk)")
        add("thread_state.datastack_top", "offsetof(PyThreadState, datastack_top)")
    add("thread_state.current_exception", "offsetof(PyThreadState, current_exception)" if MINOR >= 12 else "offsetof(PyThreadState, curexc_type)")
    add("thread_state.exc_info", "offsetof(PyThreadState, exc_info)")
    add("err_stackitem.exc_value", "offsetof(_PyErr_StackItem, exc_value)")
    add("err_stackitem.previous_item", "offsetof(_PyErr_StackItem, previous_item)")

    if MINOR <= 10:
        add("frame_object.f_back", "offsetof(PyFrameObject, f_back)")
        add("frame_object.f_code", "offsetof(PyFrameObject, f_code)")
        add("frame_object.f_lasti", "offsetof(PyFrameObject, f_lasti)")
        add("frame_object.f_valuestack", "offsetof(PyFrameObject, f_valuestack)")
        add("frame_object.f_gen", "offsetof(PyFrameObject, f_gen)")
        if MINOR <= 9:
            add("frame_object.f_stacktop", "offsetof(PyFrameObject, f_stacktop)")
            add("frame_object.f_executing", "offsetof(PyFrameObject, f_executing)")
        else:
            add("frame_object.f_stackdepth", "offsetof(PyFrameObject, f_stackdepth)")
            add("frame_object.f_state", "offsetof(PyFrameObject, f_state)")
    else:
        add("interpreter_frame.size", "sizeof(_PyInterpreterFrame)")
        add("interpreter_frame.previous", "offsetof(_PyInterpreterFrame, previous)")
        add("interpreter_frame.executable", "offsetof(_PyInterpreterFrame, f_code)")
        add("interpreter_frame.instr_ptr", "offsetof(_PyInterpreterFrame, prev_instr)")
        add("interpreter_frame.owner", "offsetof(_PyInterpreterFrame, owner)")
        if MINOR == 11:
            add("interpreter_frame.is_entry", "offsetof(_PyInterpreterFrame, is_entry)")

    add("code_object.size", "sizeof(PyCodeObject)")
    add("code_object.filename", "offsetof(PyCodeObject, co_filename)")
    add("code_object.name", "offsetof(PyCodeObject, co_name)")
    add("code_object.firstlineno", "offsetof(PyCodeObject, co_firstlineno)")
    add("code_object.linetable", "offsetof(PyCodeObject, co_lnotab)" if MINOR <= 9 else "offsetof(PyCodeObject, co_linetable)")
    if MINOR >= 11:
        add("code_object.qualname", "offsetof(PyCodeObject, co_qualname)")
        add("code_object.co_code_adaptive", "offsetof(PyCodeObject, co_code_adaptive)")
    else:
        add("code_object.co_code", "offsetof(PyCodeObject, co_code)")

    add("pyobject.ob_type", "offsetof(PyObject, ob_type)")
    add("type_object.tp_flags", "offsetof(PyTypeObject, tp_flags)")
    add("unicode_object.length", "offsetof(PyASCIIObject, length)")
    add("unicode_object.state", "offsetof(PyASCIIObject, state)")
    add("unicode_object.asciiobject_size", "sizeof(PyASCIIObject)")
    add("unicode_object.compactunicodeobject_size", "sizeof(PyCompactUnicodeObject)")
    add("bytes_object.ob_size", "offsetof(PyVarObject, ob_size)")
    add("bytes_object.ob_sval", "offsetof(PyBytesObject, ob_sval)")
    if MINOR >= 12:
        add("long_object.lv_tag", "offsetof(PyLongObject, long_value.lv_tag)")
        add("long_object.ob_digit", "offsetof(PyLongObject, long_value.ob_digit)")
    else:
        add("long_object.lv_tag", "offsetof(PyVarObject, ob_size)")
        add("long_object.ob_digit", "offsetof(PyLongObject, ob_digit)")
    add("set_object.used", "offsetof(PySetObject, used)")
    add("set_object.mask", "offsetof(PySetObject, mask)")
    add("set_object.table", "offsetof(PySetObject, table)")
    add("gen_object.gi_name", "offsetof(PyGenObject, gi_name)")
    if MINOR <= 10:
        add("gen_object.gi_frame", "offsetof(PyGenObject, gi_frame)")
    else:
        add("gen_object.gi_iframe", "offsetof(PyGenObject, gi_iframe)")
        add("gen_object.gi_frame_state", "offsetof(PyGenObject, gi_frame_state)")
    return f


def headers():
    names = ["Python.h", "frameobject.h", "structmember.h"]
    if MINOR <= 10:
        names.append("longintrepr.h")
    internal = {
        8: ["pycore_pystate.h"],
        9: ["pycore_runtime.h", "pycore_interp.h"],
        10: ["pycore_runtime.h", "pycore_interp.h"],
        11: ["pycore_runtime.h", "pycore_interp.h", "pycore_frame.h"],
        12: ["pycore_runtime.h", "pycore_interp.h", "pycore_frame.h", "pycore_gil.h"],
    }[MINOR]
    return names + [f"internal/{name}" for name in internal]


def probe():
    """Compiles and runs the offsetof() probe against this interpreter's headers."""
    include = sysconfig.get_paths()["include"]
    if not os.path.exists(os.path.join(include, "internal")):
        raise SystemExit(f"{include} has no internal headers: use an interpreter installed with them (e.g. pyenv)")
    lines = ["#define Py_BUILD_CORE 1"] + [f'#include "{name}"' for name in headers()]
    lines += ["#include <stddef.h>", "#include <stdio.h>", "int main(void) {"]
    lines += [f'    printf("%s %zu\\n", "{name}", (size_t)({expr}));' for name, expr in fields()]
    lines += ["    return 0;", "}"]
    with tempfile.TemporaryDirectory() as directory:
        source = os.path.join(directory, "probe.c")
        binary = os.path.join(directory, "probe")
        with open(source, "w") as out:
            out.write("\n".join(lines) + "\n")
        compiler = os.environ.get("CC", "cc")
        # The include's parent too: Debian's pyconfig.h includes <x86_64-linux-gnu/python3.Xd/pyconfig.h>.
        search = ["-I", include, "-I", os.path.join(include, "internal"), "-I", os.path.dirname(include)]
        subprocess.run([compiler, *search, source, "-o", binary], check=True)
        output = subprocess.run([binary], check=True, capture_output=True, text=True).stdout
    return {name: int(value) for name, value in (line.split() for line in output.splitlines())}


def word(address):
    return int.from_bytes(ctypes.string_at(address, WORD), "little")


def int32(address):
    return int.from_bytes(ctypes.string_at(address, 4), "little", signed=True)


def check(offsets):
    """Reads the live interpreter through the offsets: every field must hold what Python says it does."""
    at = offsets.__getitem__
    runtime = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))
    ctypes.pythonapi.PyInterpreterState_Head.restype = ctypes.c_void_p
    ctypes.pythonapi.PyThreadState_Get.restype = ctypes.c_void_p
    interp = ctypes.pythonapi.PyInterpreterState_Head()
    tstate = ctypes.pythonapi.PyThreadState_Get()
    assert word(runtime + at("runtime_state.interpreters_head")) == interp
    assert word(interp + at("interpreter_state.threads_head")) == tstate, "one thread: the head is us"
    assert word(interp + at("interpreter_state.imports_modules")) == id(sys.modules)
    assert word(tstate + at("thread_state.interp")) == interp
    assert word(tstate + at("thread_state.thread_id")) == threading.get_ident()
    if "thread_state.native_thread_id" in offsets:
        assert word(tstate + at("thread_state.native_thread_id")) == threading.get_native_id()
    if "runtime_state.gil_locked" in offsets:
        gil_locked, gil_holder = runtime + at("runtime_state.gil_locked"), runtime + at("runtime_state.gil_holder")
    else:
        gil = word(interp + at("interpreter_state.gil_pointer"))
        gil_locked, gil_holder = gil + at("gil_runtime_state.locked"), gil + at("gil_runtime_state.last_holder")
    assert int32(gil_locked) == 1 and word(gil_holder) == tstate, "we hold the GIL"

    frame = sys._getframe()
    code = frame.f_code
    # Read inline: string_at (and any helper) would run a Python frame of its own; memmove does not.
    here = ctypes.c_uint64()
    if "thread_state.current_frame" in offsets:
        ctypes.memmove(ctypes.addressof(here), tstate + at("thread_state.current_frame"), WORD)
        assert here.value == id(frame)
        assert word(id(frame) + at("frame_object.f_back")) == id(frame.f_back)
        assert word(id(frame) + at("frame_object.f_code")) == id(code)
        # The caller stands still on its call; 3.10 counts f_lasti in code units, f_lasti in Python in bytes.
        assert int32(id(frame.f_back) + at("frame_object.f_lasti")) * (2 if MINOR == 10 else 1) == frame.f_back.f_lasti
        assert word(id(code) + at("code_object.co_code")) == id(code.co_code)
        # A running frame is executing; a suspended generator's is not, and has no caller.
        executing = at("frame_object.f_executing") if MINOR <= 9 else at("frame_object.f_state")
        running_value = 1 if MINOR <= 9 else 0
        suspended = (lambda: (yield))()
        next(suspended)
        assert ctypes.c_byte.from_address(id(frame) + executing).value == running_value
        assert ctypes.c_byte.from_address(id(suspended.gi_frame) + executing).value != running_value
        assert word(id(suspended.gi_frame) + at("frame_object.f_back")) == 0
        assert word(id(suspended.gi_frame) + at("frame_object.f_gen")) == id(suspended)
        assert word(id(frame) + at("frame_object.f_gen")) == 0
        table = code.co_lnotab if MINOR <= 9 else code.co_linetable
    else:
        ctypes.memmove(ctypes.addressof(here), tstate + at("thread_state.cframe"), WORD)
        ctypes.memmove(ctypes.addressof(here), here.value + at("cframe.current_frame"), WORD)
        current = here.value
        assert word(current + at("interpreter_frame.executable")) == id(code)
        caller = word(current + at("interpreter_frame.previous"))
        assert word(caller + at("interpreter_frame.executable")) == id(frame.f_back.f_code)
        assert word(id(code) + at("code_object.qualname")) == id(code.co_qualname)
        table = code.co_linetable
    assert word(id(code) + at("code_object.filename")) == id(code.co_filename)
    assert word(id(code) + at("code_object.name")) == id(code.co_name)
    assert word(id(code) + at("code_object.linetable")) == id(table)
    assert int32(id(code) + at("code_object.firstlineno")) == code.co_firstlineno

    try:
        raise KeyError("probe")
    except KeyError as error:
        item = word(tstate + at("thread_state.exc_info"))
        assert word(item + at("err_stackitem.exc_value")) == id(error)

    collecting = []
    gc_state = (runtime + at("runtime_state.gc")) if MINOR == 8 else (interp + at("interpreter_state.gc"))
    callback = lambda phase, info: collecting.append(int32(gc_state + at("gc.collecting")))  # noqa: E731
    gc.callbacks.append(callback)
    gc.collect()
    gc.callbacks.remove(callback)
    assert collecting == [1, 1], collecting
    assert int32(gc_state + at("gc.collecting")) == 0

    text = "probe-ascii"
    assert word(id(text) + at("unicode_object.length")) == len(text)
    assert ctypes.string_at(id(text) + at("unicode_object.asciiobject_size"), len(text)) == text.encode()
    assert (int32(id(text) + at("unicode_object.state")) >> 6) & 1 == 1, "ascii bit"
    blob = b"probe-bytes"
    assert word(id(blob) + at("bytes_object.ob_size")) == len(blob)
    assert ctypes.string_at(id(blob) + at("bytes_object.ob_sval"), len(blob)) == blob
    number = 123456
    assert int32(id(number) + at("long_object.ob_digit")) == number
    assert word(id(type(text)) + at("type_object.tp_flags")) == type(text).__flags__
    assert word(id(text) + at("pyobject.ob_type")) == id(str)
    members = {"x", "y"}
    assert word(id(members) + at("set_object.used")) == 2

    def generator():
        yield 1

    gen = generator()
    next(gen)
    assert word(id(gen) + at("gen_object.gi_name")) == id(gen.__name__)
    if "gen_object.gi_frame" in offsets:
        assert word(id(gen) + at("gen_object.gi_frame")) == id(gen.gi_frame)
    else:
        assert word(id(gen) + at("gen_object.gi_iframe") + at("interpreter_frame.executable")) == id(gen.gi_code)


def main():
    offsets = probe()
    check(offsets)
    print(json.dumps({"version": f"{sys.version_info[0]}.{MINOR}", "offsets": offsets}, indent="\t"))


main()
