// PutHook: code that runs before a single put is appended (RocketMQ 5.x's
// PutMessageHook, registered with the store): it may answer the put itself
// (the message is then not stored) or rewrite the message first.
//
//   hooks.put_hooks.push_back([](Message& m, MessageRewrite& rewrite) -> std::optional<PutResult> {
//     if (!Allowed(m.topic)) return PutResult{.status = PutStatus::kMessageIllegal, ...};
//     std::string props = AddTrace(m.properties);   // build from the old views first,
//     rewrite.properties = std::move(props);        // then keep the result here
//     m.properties = rewrite.properties;            // and point the message at it
//     return std::nullopt;                          // go on
//   });
//
// Hooks run in order on the putting thread, for Put and PutAsync; PutBatch
// and the store's own re-puts (delayed and timer messages coming due) run
// none, as RocketMQ's batch put and re-delivery skip the schedule rewrite.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "mqstore/message.h"

namespace mqstore {

// Where a hook keeps the strings a rewritten message points at; they live
// until the put returns. A later hook may replace them again.
struct MessageRewrite {
  std::string topic;
  std::string properties;
};

using PutHook = std::function<std::optional<PutResult>(Message& message, MessageRewrite& rewrite)>;

}  // namespace mqstore
