#include "storage/ha/ha_service.h"

#include <chrono>

#include "storage/store_log.h"

namespace mqstore {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

HaService::HaService(const CommitLog& log, HaMasterOptions options, std::function<void(int64_t)> on_ack)
    : log_(log), options_(options), on_ack_(std::move(on_ack)) {}

HaService::~HaService() { Stop(); }

Status HaService::Start() {
  auto listener = ListenTcp(options_.listen_port);
  if (!listener.ok()) return listener.error();
  listener_ = std::move(*listener);
  port_ = LocalPort(listener_);
  caught_up_ms_.store(NowMs(), std::memory_order_release);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  StoreLog(LogLevel::kInfo, "HA: master listens on port " + std::to_string(port_));
  return Status::Ok();
}

void HaService::Stop() {
  stop_.store(true, std::memory_order_release);
  wake_.Wake();
  if (acceptor_.joinable()) acceptor_.join();
  Reap(/*all=*/true);
  listener_.Close();
}

void HaService::AcceptLoop() {
  NameThisThread("mq-ha-accept");
  while (!stop_.load(std::memory_order_acquire)) {
    auto polled = PollFd(listener_, false, wake_.get(), 100);
    Reap(/*all=*/false);
    if (!polled.ok() || !polled->readable) continue;
    std::string peer;
    auto fd = AcceptTcp(listener_, &peer);
    if (!fd.ok()) {
      StoreLog(LogLevel::kWarn, fd.error().ToString());
      continue;
    }
    if (!fd->valid()) continue;
    auto conn = std::make_unique<HaConnection>(std::move(*fd), peer, log_, options_,
                                               [this](int64_t offset) { OnAck(offset); });
    conn->Start();
    StoreLog(LogLevel::kInfo, "HA: slave connected from " + peer);
    std::lock_guard lock(mu_);
    conns_.push_back(std::move(conn));
  }
}

// Ends finished connections (all of them when stopping), remembering why.
void HaService::Reap(bool all) {
  std::vector<std::unique_ptr<HaConnection>> gone;
  {
    std::lock_guard lock(mu_);
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (all || (*it)->done()) {
        gone.push_back(std::move(*it));
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : gone) {
    c->Stop();
    if (all) continue;
    dropped_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    last_error_ = c->error();
    diverged_ = diverged_ || c->diverged();
  }
}

void HaService::OnAck(int64_t offset) {
  int64_t seen = push_max_.load(std::memory_order_acquire);
  while (offset > seen && !push_max_.compare_exchange_weak(seen, offset, std::memory_order_acq_rel)) {
  }
  if (offset >= log_.MaxOffset()) caught_up_ms_.store(NowMs(), std::memory_order_release);
  if (offset > seen && on_ack_) on_ack_(offset);
}

bool HaService::IsSlaveOk(int64_t master_put_where, int64_t fallbehind_max) const {
  return connections() > 0 && master_put_where - slave_ack_offset() < fallbehind_max;
}

size_t HaService::connections() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& c : conns_) n += c->done() ? 0 : 1;
  return n;
}

void HaService::WakeAll() const {
  std::lock_guard lock(mu_);
  for (const auto& c : conns_) c->Wake();
}

ReplicationStats HaService::Stats() const {
  ReplicationStats s;
  s.role = "master";
  s.listen_port = port_;
  s.slaves = connections();
  s.slave_ack_offset = slave_ack_offset();
  const int64_t max = log_.MaxOffset();
  s.lag_bytes = std::max<int64_t>(0, max - s.slave_ack_offset);
  s.lag_millis = s.lag_bytes == 0 ? 0 : std::max<int64_t>(0, NowMs() - caught_up_ms_.load(std::memory_order_acquire));
  s.slaves_dropped = dropped_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  s.error = last_error_;
  s.diverged = diverged_;
  return s;
}

}  // namespace mqstore
