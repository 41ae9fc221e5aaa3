// MessageStore's replication (storage/ha/; docs/engine.md, "Replication"):
// a master serves slaves and, with SYNC_MASTER, answers a put only once a
// slave holds it; a slave replicates from haMasterAddress.
#include <chrono>

#include "storage/message_store.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

PutResult WithReplicaStatus(PutResult r, PutStatus replica) {
  // CommitLog.handleDiskFlushAndHA: a replica status that is not PUT_OK
  // overrides the flush's; the message is stored either way.
  if (replica != PutStatus::kPutOk) {
    r.status = replica;
    r.reason = replica == PutStatus::kSlaveNotAvailable
                   ? "no slave is connected, or it is more than haSlaveFallbehindMax behind"
                   : "no slave acknowledged the message within slaveTimeout";
  }
  return r;
}

}  // namespace

Status MessageStore::StartReplication() {
  if (config_.brokerRole == BrokerRole::kSlave) {
    if (config_.haMasterAddress.empty()) return Status::Ok();  // a slave fed by other means (a copy)
    HaSlaveOptions o;
    o.master_address = config_.haMasterAddress;
    o.heartbeat_interval_ms = config_.haSendHeartbeatInterval;
    o.housekeeping_interval_ms = config_.haHousekeepingInterval;
    o.clock = &clock_;
    if (config_.haDivergencePolicy == HaDivergencePolicy::kTruncate)
      o.cut_diverged = [this](int64_t end) { return CutDivergedLog(end); };
    ha_client_ = std::make_unique<HaClient>(*log_, std::move(o), [this] { flusher_->OnAppend(); });
    ha_client_->Start();
    return Status::Ok();
  }
  if (config_.brokerRole != BrokerRole::kSyncMaster && !config_.haServiceEnable) return Status::Ok();
  HaMasterOptions o;
  o.listen_port = config_.haListenPort;
  o.transfer_batch_size = config_.haTransferBatchSize;
  o.heartbeat_interval_ms = config_.haSendHeartbeatInterval;
  o.housekeeping_interval_ms = config_.haHousekeepingInterval;
  o.whole_history = config_.haTransferWholeHistory;
  replica_waiter_ = std::make_unique<ReplicaWaiter>([this] { return ha_master_->slave_ack_offset(); });
  ha_master_ = std::make_unique<HaService>(*log_, o, [this](int64_t) { replica_waiter_->OnAck(); });
  if (Status st = ha_master_->Start(); !st.ok()) {
    ha_master_.reset();
    replica_waiter_.reset();
    return st;
  }
  replica_waiter_->Start();
  return Status::Ok();
}

// As open's recovery does it: the commit log cut at `master_end` with
// recovery's cut, then every consume-queue unit and index entry at or past
// it dropped, and dispatch resumed no later than it. The replica append is
// the only writer of a slave's log and this runs on its thread, so after
// the flush nothing else writes; the dispatcher is stopped meanwhile.
Status MessageStore::CutDivergedLog(int64_t master_end) {
  MQ_RETURN_IF_ERROR(Flush());
  if (config_.dispatchOnOwnThread) dispatcher_->Stop();
  Status st = dispatcher_->CatchUp();  // what is below the cut stays dispatched
  if (st.ok()) st = log_->TruncateReplicaTo(master_end);
  if (st.ok()) st = queues_->TruncateDirty(master_end);
  if (st.ok() && index_) st = index_->TruncateDirty(master_end);
  if (st.ok() && dispatcher_->reput_offset() > master_end) dispatcher_->SetReputOffset(master_end);
  if (config_.dispatchOnOwnThread) dispatcher_->Start();
  return st;
}

void MessageStore::StopReplication() {
  if (ha_client_) ha_client_->Stop();
  if (replica_waiter_) replica_waiter_->Stop();  // answers what still waits
  if (ha_master_) ha_master_->Stop();
}

int MessageStore::ha_port() const { return ha_master_ ? ha_master_->port() : 0; }

// 4.9.8 waits for a slave only for SYNC_MASTER and messages whose
// producer waits for the store (waitStoreMsgOK).
bool MessageStore::MustWaitReplica(const Message& first) const {
  if (config_.brokerRole != BrokerRole::kSyncMaster || first.flush_wait == FlushWait::kNoWait) return false;
  return first.flush_wait == FlushWait::kWait || !PropertiesSayNoWait(first.properties);
}

// At the append, not after the flush: the slaves receive and acknowledge
// the bytes while the master's fdatasync runs, so a put waits for the
// slower of the two instead of their sum.
void MessageStore::ShipToSlaves() const {
  if (ha_master_) ha_master_->WakeAll();
}

PutResult MessageStore::WaitReplica(PutResult r) {
  if (r.status != PutStatus::kPutOk && r.status != PutStatus::kFlushDiskTimeout) return r;  // not stored
  const int64_t end = r.wrote_offset + r.wrote_bytes;
  if (!ha_master_ || !ha_master_->IsSlaveOk(end, config_.haSlaveFallbehindMax))
    return WithReplicaStatus(std::move(r), PutStatus::kSlaveNotAvailable);
  return WithReplicaStatus(std::move(r), replica_waiter_->Wait(end, std::chrono::milliseconds(config_.slaveTimeout)));
}

void MessageStore::WaitReplicaAsync(PutResult r, PutCallback done) {
  if (r.status != PutStatus::kPutOk && r.status != PutStatus::kFlushDiskTimeout) return done(std::move(r));
  const int64_t end = r.wrote_offset + r.wrote_bytes;
  if (!ha_master_ || !ha_master_->IsSlaveOk(end, config_.haSlaveFallbehindMax))
    return done(WithReplicaStatus(std::move(r), PutStatus::kSlaveNotAvailable));
  replica_waiter_->Submit(end, std::chrono::milliseconds(config_.slaveTimeout),
                          [r = std::move(r), done = std::move(done)](PutStatus s) mutable {
                            done(WithReplicaStatus(std::move(r), s));
                          });
}

}  // namespace mqstore
