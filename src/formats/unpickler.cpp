// The opcodes follow Python's Lib/pickle.py and pickletools.py (their meaning, not their code):
// a stack machine with a mark stack and a memo. Every length and index read from the data is
// checked against the bytes left before anything is allocated from it.
#include "unpickler.hpp"

#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "file_bytes.hpp"
#include "sih/base/types.hpp"

namespace sih::formats_detail {
namespace {

using Kind = PyValue::Kind;

struct StorageType {
  const char* global;  // after "torch."
  const char* dtype;
  std::size_t item_bytes;
  bool floating;
};
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", "float32", 4, true},
    {"DoubleStorage", "float64", 8, true},
    {"HalfStorage", "float16", 2, true},
    {"BFloat16Storage", "bfloat16", 2, true},
    {"LongStorage", "int64", 8, false},
    {"IntStorage", "int32", 4, false},
    {"ShortStorage", "int16", 2, false},
    {"CharStorage", "int8", 1, false},
    {"ByteStorage", "uint8", 1, false},
    {"BoolStorage", "bool", 1, false},
    {"storage.UntypedStorage", "uint8", 1, false},  // torch 2's torch.save(storage)
};

// torch.dtype values (pickled by name: torch.float16 is GLOBAL 'torch float16'): inert data.
const char* const kDtypeGlobals[] = {"float32", "float64", "float16",   "bfloat16",
                                     "int64",   "int32",   "int16",     "int8",
                                     "uint8",   "bool",    "complex64", "complex128"};

const char* const kCallables[] = {
    "collections.OrderedDict",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch.Size",      // torch.Size((2, 3)): the tuple
    "_codecs.encode",  // how protocol 2 pickles bytes: _codecs.encode('ab', 'latin1')
};

const StorageType* storage_type(const std::string& global) {
  for (const auto& t : kStorageTypes)
    if (global == std::string("torch.") + t.global) return &t;
  return nullptr;
}

bool allowed_global(const std::string& g) {
  for (const char* c : kCallables)
    if (g == c) return true;
  for (const char* d : kDtypeGlobals)
    if (g == std::string("torch.") + d) return true;
  return storage_type(g) != nullptr;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::Str:
      return "str";
    case Kind::Bytes:
      return "bytes";
    case Kind::Tuple:
      return "tuple";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return "dict";
    case Kind::Global:
      return "global";
    case Kind::Storage:
      return "storage";
    case Kind::Tensor:
      return "tensor";
  }
  return "?";
}

class Unpickler {
 public:
  Unpickler(const char* data, std::size_t n, const std::string& label)
      : p_(reinterpret_cast<const unsigned char*>(data)), n_(n), label_(label) {}

  PickleGraph run() {
    for (;;) {
      op_pos_ = pos_;
      const unsigned char op = byte();
      op_ = op;
      if (step(op)) break;
    }
    if (stack_.size() != 1)
      fail("STOP with " + std::to_string(stack_.size()) + " values on the stack");
    g_.root = stack_.back();
    return std::move(g_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    char op[8];
    std::snprintf(op, sizeof op, "0x%02x", op_);
    throw InputError(label_ + ": data.pkl: " + what + " (opcode " + op + " at byte " +
                     std::to_string(op_pos_) + ")");
  }

  // --- reading the stream
  void need(std::uint64_t k) const {
    if (k > n_ - pos_)
      fail("truncated pickle: " + std::to_string(k) + " bytes needed, " +
           std::to_string(n_ - pos_) + " left");
  }
  unsigned char byte() {
    if (pos_ >= n_) fail("truncated pickle: no STOP opcode");
    return p_[pos_++];
  }
  std::uint64_t le(int k) {
    need(static_cast<std::uint64_t>(k));
    std::uint64_t v = 0;
    for (int j = k - 1; j >= 0; --j) v = v << 8 | p_[pos_ + static_cast<std::size_t>(j)];
    pos_ += static_cast<std::size_t>(k);
    return v;
  }
  std::string bytes(std::uint64_t k) {
    need(k);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), static_cast<std::size_t>(k));
    pos_ += static_cast<std::size_t>(k);
    return s;
  }
  std::string line() {
    const void* nl = std::memchr(p_ + pos_, '\n', n_ - pos_);
    if (nl == nullptr) fail("truncated pickle: GLOBAL name without its newline");
    const auto end = static_cast<std::size_t>(static_cast<const unsigned char*>(nl) - p_);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), end - pos_);
    pos_ = end + 1;
    return s;
  }

  // --- the value arena and the stacks
  std::size_t add(PyValue v) {
    if (g_.values.size() >= kMaxPickleValues)
      fail("more than " + std::to_string(kMaxPickleValues) +
           " objects (a state dict has about 20 per tensor)");
    g_.values.push_back(std::move(v));
    return g_.values.size() - 1;
  }
  std::size_t add(Kind k) {
    PyValue v;
    v.kind = k;
    return add(std::move(v));
  }
  std::size_t add_int(std::int64_t i, bool big = false) {
    PyValue v;
    v.kind = Kind::Int;
    v.i = i;
    v.big = big;
    return add(std::move(v));
  }
  std::size_t add_str(Kind k, std::string s) {
    PyValue v;
    v.kind = k;
    v.s = std::move(s);
    return add(std::move(v));
  }
  void push(std::size_t v) { stack_.push_back(v); }
  std::size_t pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    const std::size_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  std::size_t top() const {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<std::size_t> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    const std::size_t m = marks_.back();
    marks_.pop_back();
    std::vector<std::size_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  PyValue& val(std::size_t i) { return g_.values[i]; }

  void memo_put(std::uint64_t idx) {
    // A pickler numbers its memo from 0, one entry per memoized object, each at least two
    // bytes of pickle: a larger index is not from a pickler.
    if (idx > n_) fail("memo index " + std::to_string(idx) + " beyond the pickle's size");
    memo_[idx] = top();
  }
  void memo_get(std::uint64_t idx) {
    const auto it = memo_.find(idx);
    if (it == memo_.end())
      fail("memo index " + std::to_string(idx) + " read before it was written");
    push(it->second);
  }

  void push_global(const std::string& module, const std::string& name) {
    const std::string g = module + "." + name;
    if (!allowed_global(g))
      throw InputError(label_ + ": refuses global '" + excerpt(g.data(), g.size(), 120) +
                       "' (a checkpoint is data; sih executes nothing from it)");
    push(add_str(Kind::Global, g));
  }

  void set_items(std::size_t dict, const std::vector<std::size_t>& kv) {
    if (val(dict).kind != Kind::Dict)
      fail(std::string("SETITEM(S) on a ") + kind_name(val(dict).kind) + ", not a dict");
    if (kv.size() % 2) fail("SETITEMS with an odd number of values");
    for (std::size_t k : kv) val(dict).items.push_back(k);
  }
  void append_items(std::size_t list, const std::vector<std::size_t>& xs) {
    if (val(list).kind != Kind::List)
      fail(std::string("APPEND(S) on a ") + kind_name(val(list).kind) + ", not a list");
    for (std::size_t x : xs) val(list).items.push_back(x);
  }

  std::int64_t int_arg(std::size_t v, const char* what) {
    const PyValue& x = val(v);
    if (x.kind != Kind::Int || x.big) fail(std::string(what) + " is not an integer");
    return x.i;
  }
  std::vector<std::int64_t> ints_arg(std::size_t v, const char* what) {
    if (val(v).kind != Kind::Tuple) fail(std::string(what) + " is not a tuple");
    std::vector<std::int64_t> out;
    for (std::size_t x : val(v).items) out.push_back(int_arg(x, what));
    return out;
  }

  std::size_t reduce(std::size_t callable, std::size_t args) {
    if (val(callable).kind != Kind::Global)
      fail(std::string("REDUCE calls a ") + kind_name(val(callable).kind));
    if (val(args).kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
    const std::string g = val(callable).s;
    const std::vector<std::size_t> a = val(args).items;
    if (g == "collections.OrderedDict") {
      if (!a.empty()) fail("OrderedDict called with arguments");
      return add(Kind::Dict);
    }
    if (g == "torch._utils._rebuild_tensor_v2") {
      if (a.size() != 6 && a.size() != 7)
        fail("_rebuild_tensor_v2 takes 6 or 7 arguments, got " + std::to_string(a.size()));
      if (val(a[0]).kind != Kind::Storage)
        fail("_rebuild_tensor_v2's first argument is not a storage");
      PickleTensor t;
      t.storage = val(a[0]).ref;
      t.offset = int_arg(a[1], "storage offset");
      t.size = ints_arg(a[2], "tensor size");
      t.stride = ints_arg(a[3], "tensor stride");
      g_.tensors.push_back(std::move(t));
      PyValue v;
      v.kind = Kind::Tensor;
      v.ref = g_.tensors.size() - 1;
      return add(std::move(v));
    }
    if (g == "torch.Size") {
      if (a.size() != 1 || val(a[0]).kind != Kind::Tuple) fail("torch.Size takes one tuple");
      return a[0];
    }
    if (g == "_codecs.encode") {
      if (a.size() != 2 || val(a[0]).kind != Kind::Str || val(a[1]).kind != Kind::Str)
        fail("_codecs.encode takes two strings");
      // Only the value's kind matters here (bytes are never tensors): latin-1 is not decoded.
      return add_str(Kind::Bytes, val(a[0]).s);
    }
    if (g == "torch._utils._rebuild_parameter" ||
        g == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || val(a[0]).kind != Kind::Tensor)
        fail(g + "'s first argument is not a tensor");
      return a[0];
    }
    fail("'" + g + "' cannot be called");
  }

  std::size_t persistent_load(std::size_t pid) {
    const PyValue& t = val(pid);
    if (t.kind != Kind::Tuple || t.items.size() != 5)
      fail("persistent id is not a ('storage', type, key, location, numel) tuple");
    const PyValue& tag = val(t.items[0]);
    const PyValue& type = val(t.items[1]);
    const PyValue& key = val(t.items[2]);
    const PyValue& numel = val(t.items[4]);
    if (tag.kind != Kind::Str || tag.s != "storage") fail("persistent id is not a 'storage'");
    if (type.kind != Kind::Global) fail("persistent id's storage type is not a global");
    const StorageType* st = storage_type(type.s);
    if (st == nullptr) fail("'" + type.s + "' is not a storage type");
    if (key.kind != Kind::Str) fail("persistent id's storage key is not a string");
    if (numel.kind != Kind::Int || numel.big || numel.i < 0)
      fail("persistent id's element count is not a non-negative integer");
    PickleStorage s;
    s.key = key.s;
    s.dtype = st->dtype;
    s.item_bytes = st->item_bytes;
    s.floating = st->floating;
    s.numel = static_cast<std::uint64_t>(numel.i);
    g_.storages.push_back(std::move(s));
    PyValue v;
    v.kind = Kind::Storage;
    v.ref = g_.storages.size() - 1;
    return add(std::move(v));
  }

  // Runs one opcode; true at STOP.
  bool step(unsigned char op) {
    switch (op) {
      case 0x80: {  // PROTO
        const unsigned v = byte();
        if (v > 5) fail("pickle protocol " + std::to_string(v) + " is not supported");
        return false;
      }
      case 0x95:
        le(8);
        return false;  // FRAME: its opcodes follow inline
      case '.':
        return true;  // STOP
      case '(':
        marks_.push_back(stack_.size());
        return false;  // MARK
      case '1':
        pop_mark();
        return false;  // POP_MARK
      case '0':
        pop();
        return false;  // POP
      case '2':
        push(top());
        return false;  // DUP
      case 'N':
        push(add(Kind::None));
        return false;
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        PyValue v;
        v.kind = Kind::Bool;
        v.i = op == 0x88;
        push(add(std::move(v)));
        return false;
      }
      case 'J':
        push(add_int(static_cast<std::int32_t>(le(4))));
        return false;  // BININT
      case 'K':
        push(add_int(static_cast<std::int64_t>(le(1))));
        return false;  // BININT1
      case 'M':
        push(add_int(static_cast<std::int64_t>(le(2))));
        return false;  // BININT2
      case 0x8a:       // LONG1
      case 0x8b: {     // LONG4
        const std::uint64_t k = op == 0x8a ? le(1) : le(4);
        need(k);
        if (k > 8) {
          pos_ += static_cast<std::size_t>(k);
          push(add_int(0, true));
          return false;
        }
        std::uint64_t v = k ? le(static_cast<int>(k)) : 0;
        if (k > 0 && k < 8 && (v >> (8 * k - 1)) & 1) v |= ~std::uint64_t{0} << (8 * k);  // sign
        push(add_int(static_cast<std::int64_t>(v)));
        return false;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        need(8);
        std::uint64_t u = 0;
        for (int j = 0; j < 8; ++j) u = u << 8 | p_[pos_++];
        PyValue v;
        v.kind = Kind::Float;
        std::memcpy(&v.f, &u, sizeof u);
        push(add(std::move(v)));
        return false;
      }
      case 'X':
        push(add_str(Kind::Str, bytes(le(4))));
        return false;  // BINUNICODE
      case 0x8c:
        push(add_str(Kind::Str, bytes(le(1))));
        return false;  // SHORT_BINUNICODE
      case 0x8d:
        push(add_str(Kind::Str, bytes(le(8))));
        return false;  // BINUNICODE8
      case 'T':
        push(add_str(Kind::Str, bytes(le(4))));
        return false;  // BINSTRING
      case 'U':
        push(add_str(Kind::Str, bytes(le(1))));
        return false;  // SHORT_BINSTRING
      case 'B':
        push(add_str(Kind::Bytes, bytes(le(4))));
        return false;  // BINBYTES
      case 'C':
        push(add_str(Kind::Bytes, bytes(le(1))));
        return false;  // SHORT_BINBYTES
      case 0x8e:
        push(add_str(Kind::Bytes, bytes(le(8))));
        return false;  // BINBYTES8
      case '}':
        push(add(Kind::Dict));
        return false;  // EMPTY_DICT
      case ']':
        push(add(Kind::List));
        return false;  // EMPTY_LIST
      case ')':
        push(add(Kind::Tuple));
        return false;  // EMPTY_TUPLE
      case 'd': {      // DICT
        const auto kv = pop_mark();
        const std::size_t d = add(Kind::Dict);
        set_items(d, kv);
        push(d);
        return false;
      }
      case 'l': {  // LIST
        const auto xs = pop_mark();
        const std::size_t l = add(Kind::List);
        append_items(l, xs);
        push(l);
        return false;
      }
      case 't': {  // TUPLE
        PyValue t;
        t.kind = Kind::Tuple;
        t.items = pop_mark();
        push(add(std::move(t)));
        return false;
      }
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
        PyValue t;
        t.kind = Kind::Tuple;
        t.items.resize(op - 0x84u);
        for (std::size_t j = t.items.size(); j-- > 0;) t.items[j] = pop();
        push(add(std::move(t)));
        return false;
      }
      case 's': {  // SETITEM
        const std::size_t v = pop(), k = pop();
        set_items(top(), {k, v});
        return false;
      }
      case 'u': {  // SETITEMS
        const auto kv = pop_mark();
        set_items(top(), kv);
        return false;
      }
      case 'a': {  // APPEND
        const std::size_t x = pop();
        append_items(top(), {x});
        return false;
      }
      case 'e': {  // APPENDS
        const auto xs = pop_mark();
        append_items(top(), xs);
        return false;
      }
      case 'q':
        memo_put(le(1));
        return false;  // BINPUT
      case 'r':
        memo_put(le(4));
        return false;  // LONG_BINPUT
      case 0x94:
        memo_put(memo_.size());
        return false;  // MEMOIZE
      case 'h':
        memo_get(le(1));
        return false;  // BINGET
      case 'j':
        memo_get(le(4));
        return false;  // LONG_BINGET
      case 'c': {      // GLOBAL
        const std::string module = line();
        const std::string name = line();
        push_global(module, name);
        return false;
      }
      case 0x93: {  // STACK_GLOBAL
        const std::size_t name = pop(), module = pop();
        if (val(module).kind != Kind::Str || val(name).kind != Kind::Str)
          fail("STACK_GLOBAL needs two strings");
        push_global(val(module).s, val(name).s);
        return false;
      }
      case 'Q':
        push(persistent_load(pop()));
        return false;  // BINPERSID
      case 'R': {      // REDUCE
        const std::size_t args = pop(), callable = pop();
        push(reduce(callable, args));
        return false;
      }
      case 'b':  // BUILD: the state of an OrderedDict (its _metadata) is not needed
        pop();
        top();
        return false;
      case 0x81:
        fail("NEWOBJ (creates an instance of a class) is not supported");
      case 0x92:
        fail("NEWOBJ_EX (creates an instance of a class) is not supported");
      case 'i':
        fail("INST (creates an instance of a class) is not supported");
      case 'o':
        fail("OBJ (creates an instance of a class) is not supported");
      case 'P':
        fail("PERSID (protocol 0) is not supported");
      default:
        fail("unknown or unsupported pickle opcode");
    }
  }

  const unsigned char* p_;
  std::size_t n_;
  const std::string& label_;
  std::size_t pos_ = 0, op_pos_ = 0;
  unsigned char op_ = 0;
  std::vector<std::size_t> stack_, marks_;
  std::unordered_map<std::uint64_t, std::size_t> memo_;
  PickleGraph g_;
};

}  // namespace

PickleGraph unpickle_checkpoint(const char* data, std::size_t n, const std::string& label) {
  return Unpickler(data, n, label).run();
}

}  // namespace sih::formats_detail
