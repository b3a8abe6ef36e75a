// Fuzz target: any text given to EventFromJson. The flat reader and nlohmann's parser agree
// (status and event); an accepted event is written the same by both writers, reads back as the
// same event (params that are JSON come back in dump() form) and survives the binary codec. The
// binary decoders take the same bytes without crashing.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/fuzz/fuzz_util.h"
#include "store/event.h"
#include "store/internal.h"

using memory::Event;
using memory::Status;


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Event flat, full, e;
  const bool flat_ok = memory::internal::ReadFlatEventJson(text, &flat);
  const Status full_status = memory::internal::EventFromJsonFull(text, &full);
  if (flat_ok) FUZZ_CHECK(full_status.ok() && flat == full);
  const Status status = memory::EventFromJson(text, &e);
  FUZZ_CHECK(status.ok() == full_status.ok());
  if (status.ok()) {
    FUZZ_CHECK(e == full);
    const std::string line = memory::EventToJson(e);
    FUZZ_CHECK(line == memory::internal::EventToJsonFull(e));
    Event back;
    FUZZ_CHECK(memory::EventFromJson(line, &back).ok());
    const auto params = nlohmann::ordered_json::parse(e.params_json, nullptr, false);
    if (!e.params_json.empty() && !params.is_discarded()) e.params_json = params.dump();
    FUZZ_CHECK(back == e);
    std::string encoded;
    memory::EncodeEvent(e, &encoded);
    Event decoded;
    FUZZ_CHECK(memory::DecodeEvent(encoded, &decoded).ok() && decoded == e);
  }
  Event raw;
  (void)memory::DecodeEvent(text, &raw);
  memory::EventKey key;
  (void)memory::PeekEvent(text, &key);
  return 0;
}
