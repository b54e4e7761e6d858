"""Writes this interpreter's asyncio object offsets as JSON, for sampler/layouts/async-<major.minor>.json.

--async-aware on 3.11-3.13 reads asyncio's tasks through Python objects (sys.modules ->
asyncio.tasks -> its task sets and dicts), and the C Task objects' own fields. None of those
offsets are in the target's debug tables, and the Task struct changes with every minor
version, so they are measured here, in a live interpreter of each version, instead of being
copied from headers: each field is found by scanning an object's memory for the id() of a value
we put there. The struct facts that cannot be found that way (dict keys, instance attribute
storage) are written down per version and then checked by reading real objects with them.

3.14+ read their tasks from per-thread task lists; for them only the object offsets are written
(dicts, instance attributes, modules), through which thread names are read on every version.

    for py in python3.8 python3.9 python3.10 python3.11 python3.12 python3.13 python3.14 python3.15; do
        $py scripts/generate-async-layouts.py > sampler/layouts/async-$($py -c 'import sys; print("%d.%d" % sys.version_info[:2])').json
    done
"""
import asyncio
import ctypes
import dis
import gc
import json
import sys
import weakref

WORD = 8
MINOR = sys.version_info[1]


def read_word(address):
    return int.from_bytes(ctypes.string_at(address, WORD), "little")


def offsets_of(obj, value, size):
    """Word-aligned offsets inside obj's first `size` bytes that hold id(value)."""
    data = ctypes.string_at(id(obj), size)
    wanted = id(value)
    return [at for at in range(0, size - WORD + 1, WORD) if int.from_bytes(data[at:at + WORD], "little") == wanted]


def offset_of(obj, value, size=None):
    found = offsets_of(obj, value, size or type(obj).__basicsize__)
    if len(found) != 1:
        raise SystemExit(f"{type(obj).__name__}: {value!r} found at {found}, expected exactly one offset")
    return found[0]


# Facts from each version's Include/internal/pycore_dict.h and pycore_object.h, checked below.
# 3.8-3.10 keep the table size itself (dk_size), index bytes follow from it, and every entry is
# {hash, key, value}; 3.11+ keep log2 sizes and a kind (unicode-only tables drop the hash).
if MINOR <= 10:
    DICT_KEYS = {"form": "size", "size": 8, "nentries": 32, "indices": 40}
else:
    DICT_KEYS = {"form": "log2", "log2_size": 8, "log2_index_bytes": 9, "kind": 10, "nentries": 24, "indices": 32}
# Where a split dict's value array starts inside PyDictValues: 3.13 put capacity/size/embedded/valid bytes first.
VALUES_ARRAY = 8 if MINOR >= 13 else 0
# Instance attributes of a class with Py_TPFLAGS_MANAGED_DICT: the dict pointer (3.11, 3.13)
# or tagged dict-or-values word (3.12) three words before the object; 3.11 keeps the values
# pointer four words before; 3.13 keeps the values inline, at tp_basicsize. 3.8-3.10 keep an
# ordinary dict pointer at the type's tp_dictoffset (PyTypeObject field at TP_DICTOFFSET).
MANAGED_DICT = -3 * WORD if MINOR >= 11 else 0
VALUES_POINTER = -4 * WORD if MINOR == 11 else None
TP_DICTOFFSET = 288


def keys_entries(keys):
    """(index, key address, value address) of a PyDictKeysObject's used entries."""
    if DICT_KEYS["form"] == "size":
        size = read_word(keys + DICT_KEYS["size"])
        nentries = read_word(keys + DICT_KEYS["nentries"])
        assert 0 <= nentries <= size, (nentries, size)
        index_bytes = 1 if size <= 0xFF else 2 if size <= 0xFFFF else 4 if size <= 0xFFFFFFFF else 8
        start = keys + DICT_KEYS["indices"] + size * index_bytes
        for index in range(nentries):
            entry = start + index * 3 * WORD
            key = read_word(entry + WORD)
            if key:
                yield index, key, read_word(entry + 2 * WORD)
        return
    log2_size = ctypes.string_at(keys + DICT_KEYS["log2_size"], 1)[0]
    log2_index_bytes = ctypes.string_at(keys + DICT_KEYS["log2_index_bytes"], 1)[0]
    kind = ctypes.string_at(keys + DICT_KEYS["kind"], 1)[0]
    nentries = read_word(keys + DICT_KEYS["nentries"])
    assert 0 <= nentries <= (1 << log2_size), (nentries, log2_size)
    start = keys + DICT_KEYS["indices"] + (1 << log2_index_bytes)
    size = 3 * WORD if kind == 0 else 2 * WORD  # general entries keep the hash first
    for index in range(nentries):
        entry = start + index * size
        key = read_word(entry + size - 2 * WORD)
        if key:
            yield index, key, read_word(entry + size - WORD)


def dict_items(d, dict_offsets):
    """A dict's items, read as --async-aware reads them (combined or split table)."""
    keys = read_word(id(d) + dict_offsets["keys"])
    values = read_word(id(d) + dict_offsets["values"])
    for index, key, value in keys_entries(keys):
        if values:
            value = read_word(values + VALUES_ARRAY + index * WORD)
        if value:
            yield key, value


def instance_attribute(obj, name, dict_offsets, type_offsets):
    """An instance attribute of a managed-dict object, as --async-aware reads it."""
    if MINOR <= 10:
        dict_word = read_word(id(obj) + read_word(id(type(obj)) + type_offsets["dictoffset"]))
        items = dict_items(ctypes.cast(dict_word, ctypes.py_object).value, dict_offsets)
        return next((value for key, value in items if ctypes.cast(key, ctypes.py_object).value == name), None)
    dict_word = read_word(id(obj) + MANAGED_DICT)
    values = 0
    if MINOR == 12 and dict_word & 1:
        values, dict_word = dict_word + 1, 0  # stored as values - 1 (_PyDictOrValues_SetValues)
    elif MINOR == 11:
        values = read_word(id(obj) + VALUES_POINTER)
    elif MINOR >= 13 and not dict_word:
        inline = id(obj) + type(obj).__basicsize__
        values = inline if ctypes.string_at(inline + 3, 1)[0] else 0  # the `valid` byte
    if dict_word:
        items = dict_items(ctypes.cast(dict_word, ctypes.py_object).value, dict_offsets)
        return next((value for key, value in items if ctypes.cast(key, ctypes.py_object).value == name), None)
    keys = read_word(id(type(obj)) + type_offsets["cachedKeys"])
    for index, key, _ in keys_entries(keys):
        if ctypes.cast(key, ctypes.py_object).value == name:
            return read_word(values + VALUES_ARRAY + index * WORD) or None
    return None


def task_offsets():
    found = {}

    async def waiter(fut):
        await fut

    async def probe():
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        coro = waiter(fut)
        task = loop.create_task(coro, name="async-layout-probe")
        await asyncio.sleep(0)  # the task runs up to `await fut`
        size = type(task).__basicsize__
        found["size"] = size
        found["loop"] = offset_of(task, loop, size)
        found["coro"] = offset_of(task, coro, size)
        found["name"] = offset_of(task, task.get_name(), size)
        found["futWaiter"] = offset_of(task, fut, size)

        def first(_):
            pass

        def second(_):
            pass

        task.add_done_callback(first)
        task.add_done_callback(second)
        found["callback0"] = offset_of(task, first, size)
        callbacks = [item for item in gc.get_referents(task) if type(item) is list]
        assert len(callbacks) == 1 and callbacks[0][0][0] is second, callbacks
        found["callbacks"] = offset_of(task, callbacks[0], size)
        found["callbackEntryIsTuple"] = type(callbacks[0][0]) is tuple

        # fut_state: the int that goes from STATE_PENDING (0) to STATE_FINISHED (2) when a result is set.
        plain = loop.create_future()
        before = ctypes.string_at(id(plain), type(plain).__basicsize__)
        plain.set_result(None)
        after = ctypes.string_at(id(plain), type(plain).__basicsize__)
        states = [at for at in range(0, len(before), 4)
                  if int.from_bytes(before[at:at + 4], "little") == 0 and int.from_bytes(after[at:at + 4], "little") == 2]
        assert len(states) == 1, states
        found["state"] = states[0]

        # The awaiting task's wakeup among the awaited future's callbacks: 3.8-3.10 wrap the task
        # in a TaskWakeupMethWrapper (its task pointer after the object header), later a bound
        # builtin method (cfunctionSelf).
        wakeups = [callback for callback, _ in fut._callbacks]
        assert len(wakeups) == 1, wakeups
        if type(wakeups[0]).__name__ == "TaskWakeupMethWrapper":
            found["wakeupTask"] = offset_of(wakeups[0], task, 4 * WORD)

        fut.set_result(None)
        await task

    asyncio.run(probe())
    return found


def main():
    modules = sys.modules
    ctypes.pythonapi.PyInterpreterState_Head.restype = ctypes.c_void_p
    interp = ctypes.pythonapi.PyInterpreterState_Head()
    # The interpreter struct is large (3.12 embeds its allocator state); the main one lives in _PyRuntime.
    interp_modules = next(at for at in range(0, 1 << 17, WORD) if read_word(interp + at) == id(modules))

    import asyncio.tasks as tasks_module
    # PyDictObject: ma_used, ma_version_tag, ma_keys, ma_values; checked by reading dicts through them.
    dict_offsets = {"used": 16, "keys": 32, "values": 40}
    sample = {"alpha": 1, "beta": 2}
    assert dict(((ctypes.cast(k, ctypes.py_object).value, ctypes.cast(v, ctypes.py_object).value) for k, v in dict_items(sample, dict_offsets))) == sample
    general = {3: "three", (1, 2): "pair"}
    assert dict(((ctypes.cast(k, ctypes.py_object).value, ctypes.cast(v, ctypes.py_object).value) for k, v in dict_items(general, dict_offsets))) == general
    assert read_word(id(sample) + dict_offsets["used"]) == 2

    class Probe:
        def __init__(self):
            self.first = object()
            self.second = object()

    heap_type = {
        "name": offset_of(Probe, Probe.__name__, type(Probe).__basicsize__),
        "qualname": offset_of(Probe, Probe.__qualname__, type(Probe).__basicsize__),
    }
    # PyHeapTypeObject: ht_name, ht_slots, ht_qualname, ht_cached_keys.
    assert heap_type["qualname"] == heap_type["name"] + 2 * WORD, heap_type
    type_offsets = {"name": 24, "basicsize": 32, "cachedKeys": heap_type["qualname"] + WORD, "dictoffset": TP_DICTOFFSET}
    if MINOR <= 10:
        assert read_word(id(Probe) + TP_DICTOFFSET) == Probe.__dictoffset__ and read_word(id(weakref.WeakSet) + TP_DICTOFFSET) == weakref.WeakSet.__dictoffset__
    assert ctypes.string_at(read_word(id(Probe) + type_offsets["name"])) == b"Probe"
    assert read_word(id(Probe) + type_offsets["basicsize"]) == Probe.__basicsize__
    probe = Probe()
    assert instance_attribute(probe, "second", dict_offsets, type_offsets) == id(probe.second)
    probe.__dict__  # materialises a dict on some versions: read through it too
    probe.third = object()
    assert instance_attribute(probe, "third", dict_offsets, type_offsets) == id(probe.third)
    weak = weakref.WeakSet()
    assert instance_attribute(weak, "data", dict_offsets, type_offsets) == id(weak.data)

    members = {"x", "y"}
    set_offsets = {"used": 24, "mask": 32, "table": 40}
    assert read_word(id(members) + set_offsets["used"]) == 2
    table = read_word(id(members) + set_offsets["table"])
    slots = read_word(id(members) + set_offsets["mask"]) + 1
    assert {read_word(table + 16 * slot) for slot in range(slots)} - {0} == {id(member) for member in members}

    def outer():
        cell_value = object()

        def inner():
            return cell_value
        return inner, cell_value

    inner, cell_value = outer()
    function_closure = offset_of(inner, inner.__closure__)
    cell_ref = offset_of(inner.__closure__[0], cell_value, 3 * WORD)
    bound = probe.__init__
    method_self = offset_of(bound, probe, 5 * WORD)
    listed = [probe]
    cfunction_self = offset_of(listed.append, listed, 5 * WORD)
    ref = weakref.ref(probe)
    weakref_object = offset_of(ref, probe, 3 * WORD)

    objects = {
        "version": f"{sys.version_info[0]}.{MINOR}",
        "interpModules": interp_modules,
        "moduleDict": offset_of(tasks_module, tasks_module.__dict__, 3 * WORD),
        "dict": dict_offsets,
        "dictKeys": DICT_KEYS,
        "valuesArray": VALUES_ARRAY,
        "managedDict": MANAGED_DICT,
        "valuesPointer": VALUES_POINTER if VALUES_POINTER is not None else 0,
        # Where an object keeps attribute values without a dict: behind a pointer (3.11), in the
        # dict word tagged with bit 0 (3.12), inline at tp_basicsize with a `valid` byte at +3 (3.13).
        # 3.8-3.10 have no managed dicts: a dict pointer at the type's tp_dictoffset.
        "instanceValues": "dict-offset" if MINOR <= 10 else {11: "pointer", 12: "tagged"}.get(MINOR, "inline"),
        "type": type_offsets,
        "set": set_offsets,
    }
    if MINOR >= 14:
        # 3.14+ keep per-thread task lists for debuggers: only thread names read Python objects.
        print(json.dumps(objects, indent="\t"))
        return

    layout = {
        **objects,
        # How _PyGen_yf tells a coroutine suspended in `await`: the next instruction is RESUME
        # with oparg >= 2 (3.11, 3.12), or its own frame state FRAME_SUSPENDED_YIELD_FROM (3.13).
        # 3.8-3.10: the next instruction is YIELD_FROM, and the awaited object tops the frame
        # object's value stack: at f_stacktop - 1 (3.8, 3.9) or f_valuestack[f_stackdepth - 1] (3.10).
        "yieldFrom": {8: "yield-from-stacktop", 9: "yield-from-stacktop", 10: "yield-from-stackdepth"}.get(MINOR, "resume-oparg" if MINOR < 13 else "frame-state"),
        "tuple": {"size": 16, "items": offset_of((probe, cell_value), probe, 4 * WORD)},
        "list": {"size": 16, "items": 24},
        "functionClosure": function_closure,
        "cellRef": cell_ref,
        "methodSelf": method_self,
        "cfunctionSelf": cfunction_self,
        "weakrefObject": weakref_object,
        "task": task_offsets(),
        # Interpreter frames (3.11+): stacktop (an int, in words from localsplus) and localsplus;
        # frame objects (3.8-3.10): f_stacktop (a pointer) or f_stackdepth (an int), and f_valuestack.
        "frame": {"stacktop": 64, "localsplus": 72} if MINOR >= 11 else {"stacktop": 72 if MINOR <= 9 else 80, "localsplus": 64},
    }
    pair = (probe, cell_value)
    assert layout["tuple"]["items"] == 24 and read_word(id(pair) + layout["tuple"]["size"]) == 2
    assert read_word(id(listed) + layout["list"]["size"]) == 1 and read_word(read_word(id(listed) + layout["list"]["items"])) == id(probe)

    # _PyInterpreterFrame's stacktop (an int, in words from localsplus) and localsplus: a coroutine
    # suspended in `await` has the awaited coroutine on top of its value stack (_PyGen_yf).
    class Suspend:
        def __await__(self):
            yield None

    async def awaited():
        await Suspend()

    async def awaiting(coro):
        await coro

    inner_coro = awaited()
    outer_coro = awaiting(inner_coro)
    outer_coro.send(None)
    if MINOR <= 10:
        frame = id(outer_coro.cr_frame)
        code = outer_coro.cr_code.co_code
        lasti = outer_coro.cr_frame.f_lasti  # in bytes, as Python shows it on every version
        assert code[lasti + 2] == dis.opmap["YIELD_FROM"], (lasti, code[lasti + 2])
        if layout["yieldFrom"] == "yield-from-stacktop":
            top = read_word(frame + layout["frame"]["stacktop"])
        else:
            depth = int.from_bytes(ctypes.string_at(frame + layout["frame"]["stacktop"], 4), "little", signed=True)
            top = read_word(frame + layout["frame"]["localsplus"]) + depth * WORD
        assert read_word(top - WORD) == id(inner_coro)
        outer_coro.close()
        print(json.dumps(layout, indent="\t"))
        return
    iframe = 80 if MINOR == 11 else 72  # gi_iframe, as in sampler/layouts.ts
    frame = id(outer_coro) + iframe
    stacktop = int.from_bytes(ctypes.string_at(frame + layout["frame"]["stacktop"], 4), "little", signed=True)
    assert read_word(frame + layout["frame"]["localsplus"] + (stacktop - 1) * WORD) == id(inner_coro), stacktop
    if layout["yieldFrom"] == "resume-oparg":
        # prev_instr (at 56 in the 3.11/3.12 frame) is the YIELD_VALUE; RESUME 2/3 follows it.
        opcode, oparg = ctypes.string_at(read_word(frame + 56) + 2, 2)
        assert opcode == dis.opmap["RESUME"] and oparg >= 2, (opcode, oparg)
    else:
        gi_frame_state = 67  # as in sampler/layouts.ts for 3.13
        assert ctypes.string_at(id(outer_coro) + gi_frame_state, 1) == b"\xff"  # FRAME_SUSPENDED_YIELD_FROM
    outer_coro.close()
    print(json.dumps(layout, indent="\t"))


main()
