// Package safetensors reads and writes checkpoints in the safetensors format.
//
// A file is an 8-byte little-endian header length N, then N bytes of JSON,
// then one flat byte buffer:
//
//	{"wte.weight": {"dtype": "F32", "shape": [50, 16], "data_offsets": [0, 3200]},
//	 "__metadata__": {"n_layer": "2"}}
//
// Offsets are relative to the start of the buffer. The writer lays tensors
// out in sorted name order, pads the header with spaces to a multiple of 8
// bytes (so the buffer is aligned) and writes atomically: a temporary file in
// the same directory is written, synced and renamed over the target, then the
// directory is synced. The reader verifies everything before it trusts it:
// the header length fits the file, every dtype is known, every shape's size
// matches its byte range, the ranges tile the buffer exactly (contiguous, no
// gaps, no overlap) and end at its end. F16 and BF16 are converted to F32 on
// load. No input makes the reader panic (see FuzzDecode).
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"transformers/tensor"
)

// DType is a safetensors element type name as it appears in the header.
type DType string

// The element types this package reads. Write produces F32 by default, and
// F16 or BF16 through WriteAs.
const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
)

// size returns the bytes per element of d, or 0 if d is not supported.
func (d DType) size() int {
	switch d {
	case F32:
		return 4
	case F16, BF16:
		return 2
	}
	return 0
}

// MaxHeaderLen is the largest header the reader accepts (100 MB, as the
// reference implementation), so a corrupt length cannot demand a huge
// allocation.
const MaxHeaderLen = 100_000_000

// metadataKey is the reserved header entry holding free-form string pairs.
const metadataKey = "__metadata__"

// entry is one tensor's header record.
type entry struct {
	DType       DType   `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// Write stores tensors as F32 in a safetensors file at path, atomically,
// with metadata (may be nil) under "__metadata__".
func Write(path string, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	return WriteAs(path, tensors, metadata, F32)
}

// WriteAs is Write with the element type chosen: F32 (exact), F16 or BF16
// (rounded to nearest even; F16 overflows to ±Inf above 65504).
func WriteAs(path string, tensors map[string]*tensor.Tensor, metadata map[string]string, dtype DType) error {
	b, err := Encode(tensors, metadata, dtype)
	if err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err := WriteFileAtomic(path, b); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return nil
}

// Encode returns the bytes of a safetensors file holding tensors (in sorted
// name order) converted to dtype, with metadata.
func Encode(tensors map[string]*tensor.Tensor, metadata map[string]string, dtype DType) ([]byte, error) {
	es := dtype.size()
	if es == 0 {
		return nil, fmt.Errorf("unsupported dtype %q", dtype)
	}
	names := make([]string, 0, len(tensors))
	for name, t := range tensors {
		if name == metadataKey {
			return nil, fmt.Errorf("tensor name %q is reserved", name)
		}
		if t == nil {
			return nil, fmt.Errorf("tensor %q is nil", name)
		}
		if len(t.Data) != tensor.Numel(t.Shape) {
			return nil, fmt.Errorf("tensor %q: shape %v needs %d elements, has %d", name, t.Shape, tensor.Numel(t.Shape), len(t.Data))
		}
		names = append(names, name)
	}
	sort.Strings(names)

	header := make(map[string]any, len(names)+1)
	var off int64
	for _, name := range names {
		t := tensors[name]
		n := int64(len(t.Data)) * int64(es)
		shape := make([]int64, len(t.Shape))
		for i, d := range t.Shape {
			shape[i] = int64(d)
		}
		header[name] = entry{DType: dtype, Shape: shape, DataOffsets: []int64{off, off + n}}
		off += n
	}
	if len(metadata) > 0 {
		header[metadataKey] = metadata
	}
	hj, err := json.Marshal(header) // encoding/json sorts map keys: deterministic
	if err != nil {
		return nil, err
	}
	// Pad with spaces so the buffer starts 8-byte aligned.
	if r := len(hj) % 8; r != 0 {
		hj = append(hj, bytes.Repeat([]byte(" "), 8-r)...)
	}

	out := make([]byte, 8+len(hj)+int(off))
	binary.LittleEndian.PutUint64(out, uint64(len(hj)))
	copy(out[8:], hj)
	buf := out[8+len(hj):]
	p := 0
	for _, name := range names {
		for _, x := range tensors[name].Data {
			switch dtype {
			case F32:
				binary.LittleEndian.PutUint32(buf[p:], math.Float32bits(x))
			case F16:
				binary.LittleEndian.PutUint16(buf[p:], F32ToF16(x))
			case BF16:
				binary.LittleEndian.PutUint16(buf[p:], F32ToBF16(x))
			}
			p += es
		}
	}
	return out, nil
}

// WriteFileAtomic writes b to path so that a reader sees either the old file
// or the complete new one, never a partial write, even across a crash: a
// temporary file in the same folder, fsync, rename, fsync of the folder.
func WriteFileAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes the file private (0600); a checkpoint is ordinary data.
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename itself durable.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Read loads every tensor of the safetensors file at path as F32, with the
// file's metadata (nil if it has none). Errors name the file and, where one
// is at fault, the tensor.
func Read(path string) (map[string]*tensor.Tensor, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	ts, meta, err := Decode(b)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return ts, meta, nil
}

// ErrFormat is wrapped by every error Decode returns for a malformed file.
var ErrFormat = errors.New("malformed safetensors data")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// Decode parses the bytes of a safetensors file, verifying the header and
// every tensor's dtype, shape and byte range, and converts F16/BF16 to F32.
func Decode(b []byte) (map[string]*tensor.Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, formatErr("truncated: %d bytes, need at least 8 for the header length", len(b))
	}
	hlen := binary.LittleEndian.Uint64(b)
	if hlen > MaxHeaderLen {
		return nil, nil, formatErr("header length %d exceeds the limit %d", hlen, MaxHeaderLen)
	}
	if hlen > uint64(len(b)-8) {
		return nil, nil, formatErr("header length %d exceeds the %d bytes after the length field (truncated file?)", hlen, len(b)-8)
	}
	hdr := b[8 : 8+hlen]
	buf := b[8+hlen:]
	entries, order, meta, err := parseHeader(hdr)
	if err != nil {
		return nil, nil, err
	}

	// Check each entry on its own, then that the ranges tile the buffer.
	for _, name := range order {
		e := entries[name]
		es := e.DType.size()
		if es == 0 {
			return nil, nil, formatErr("tensor %q: unknown or unsupported dtype %q", name, e.DType)
		}
		if len(e.DataOffsets) != 2 {
			return nil, nil, formatErr("tensor %q: data_offsets must have 2 elements, has %d", name, len(e.DataOffsets))
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin < 0 || end < begin || end > int64(len(buf)) {
			return nil, nil, formatErr("tensor %q: data_offsets [%d, %d] out of range for a %d-byte buffer", name, begin, end, len(buf))
		}
		n, ok := numel(e.Shape, int64(len(buf))/int64(es))
		if !ok {
			return nil, nil, formatErr("tensor %q: shape %v is invalid or larger than the %d-byte buffer", name, e.Shape, len(buf))
		}
		if n*int64(es) != end-begin {
			return nil, nil, formatErr("tensor %q: shape %v of %s needs %d bytes, data_offsets [%d, %d] give %d", name, e.Shape, e.DType, n*int64(es), begin, end, end-begin)
		}
	}
	byStart := append([]string(nil), order...)
	sort.SliceStable(byStart, func(i, j int) bool {
		ei, ej := entries[byStart[i]], entries[byStart[j]]
		if ei.DataOffsets[0] != ej.DataOffsets[0] {
			return ei.DataOffsets[0] < ej.DataOffsets[0]
		}
		return ei.DataOffsets[1] < ej.DataOffsets[1]
	})
	var pos int64
	for _, name := range byStart {
		e := entries[name]
		if e.DataOffsets[0] != pos {
			if e.DataOffsets[0] < pos {
				return nil, nil, formatErr("tensor %q: data_offsets [%d, %d] overlap the previous tensor, which ends at %d", name, e.DataOffsets[0], e.DataOffsets[1], pos)
			}
			return nil, nil, formatErr("tensor %q: data_offsets [%d, %d] leave a gap after byte %d", name, e.DataOffsets[0], e.DataOffsets[1], pos)
		}
		pos = e.DataOffsets[1]
	}
	if pos != int64(len(buf)) {
		return nil, nil, formatErr("tensors cover %d bytes but the buffer holds %d (trailing data or truncation)", pos, len(buf))
	}

	out := make(map[string]*tensor.Tensor, len(order))
	for _, name := range order {
		e := entries[name]
		raw := buf[e.DataOffsets[0]:e.DataOffsets[1]]
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			shape[i] = int(d)
		}
		data := make([]float32, len(raw)/e.DType.size())
		switch e.DType {
		case F32:
			for i := range data {
				data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		case F16:
			for i := range data {
				data[i] = F16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
			}
		case BF16:
			for i := range data {
				data[i] = BF16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
			}
		}
		out[name] = &tensor.Tensor{Shape: shape, Data: data}
	}
	return out, meta, nil
}

// parseHeader decodes the JSON header into tensor entries (and their names
// in file order) and the metadata, refusing duplicate names.
func parseHeader(hdr []byte) (map[string]entry, []string, map[string]string, error) {
	if len(strings.TrimSpace(string(hdr))) == 0 || hdr[0] != '{' {
		return nil, nil, nil, formatErr("header is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // the opening '{'
		return nil, nil, nil, formatErr("header JSON: %v", err)
	}
	entries := map[string]entry{}
	var order []string
	var meta map[string]string
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, nil, formatErr("header JSON: %v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, nil, formatErr("header JSON: expected a key, got %v", tok)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, nil, formatErr("header JSON at key %q: %v", name, err)
		}
		if name == metadataKey {
			if seenMeta {
				return nil, nil, nil, formatErr("duplicate %q", metadataKey)
			}
			seenMeta = true
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, nil, formatErr("%s must map strings to strings: %v", metadataKey, err)
			}
			continue
		}
		if _, dup := entries[name]; dup {
			return nil, nil, nil, formatErr("duplicate tensor %q", name)
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, nil, nil, formatErr("tensor %q: header entry: %v", name, err)
		}
		if e.DType == "" || e.DataOffsets == nil || e.Shape == nil {
			return nil, nil, nil, formatErr("tensor %q: header entry needs dtype, shape and data_offsets", name)
		}
		entries[name] = e
		order = append(order, name)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, nil, formatErr("header JSON: %v", err)
	}
	// Only padding may follow the object.
	if len(bytes.TrimSpace(hdr[dec.InputOffset():])) != 0 {
		return nil, nil, nil, formatErr("header JSON: trailing data after the object")
	}
	return entries, order, meta, nil
}

// numel returns the element count of shape if no dimension is negative and
// the count is at most limit; the product is checked step by step so it
// cannot overflow.
func numel(shape []int64, limit int64) (int64, bool) {
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d == 0 {
			return 0, true
		}
	}
	n := int64(1)
	for _, d := range shape {
		if n > limit/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}
