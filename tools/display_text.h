// Text from a store (topics, keys, tags, property values, file names) as the
// tools show it. Records may carry any bytes: a control byte written to a
// terminal could move the cursor or hide the rest of a line, and a byte
// that is not UTF-8 is not text at all.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mqstore::cli {

// The length of the well-formed UTF-8 sequence of two or more bytes that
// starts at s[i] (no overlong forms, no surrogates, nothing past U+10FFFF),
// or 0 when there is none.
size_t Utf8SequenceLength(std::string_view s, size_t i);

// `text` for a table cell or a text line: control bytes (C0, DEL and the C1
// controls U+0080-U+009F) and bytes that are not UTF-8 written as \xNN
// (EscapeForDisplay's notation); printable ASCII and well-formed UTF-8 as
// they are.
std::string DisplayText(std::string_view text);

}  // namespace mqstore::cli
