//! Where a check's data comes from: the [`Estate`] trait, its host-backed implementation (the
//! contract's imports) and the per-section read result.

use crate::__bindings::plumbline::audit::estate as wit;
use crate::estate::*;

/// The result of reading one section, as the host answered it.
pub type SectionRead<T> = Result<Vec<T>, SectionError>;

/// A source of estate data: the host (in a component) or a fixture (in native tests).
pub trait Estate {
    fn info(&self) -> SnapshotInfo;
    fn kafka(&self) -> SectionRead<KafkaCluster>;
    fn rabbitmq(&self) -> SectionRead<RabbitmqBroker>;
    fn sqs(&self) -> SectionRead<SqsAccount>;
    fn postgres(&self) -> SectionRead<PostgresServer>;
    fn prometheus(&self) -> SectionRead<PrometheusServer>;
    fn config_files(&self) -> SectionRead<ConfigFile>;
    fn registry(&self) -> SectionRead<Integration>;
}

/// The estate as the host provides it through `plumbline:audit/estate` imports.
#[doc(hidden)]
pub struct HostEstate;

impl Estate for HostEstate {
    fn info(&self) -> SnapshotInfo {
        wit::info()
    }
    fn kafka(&self) -> SectionRead<KafkaCluster> {
        wit::kafka()
    }
    fn rabbitmq(&self) -> SectionRead<RabbitmqBroker> {
        wit::rabbitmq()
    }
    fn sqs(&self) -> SectionRead<SqsAccount> {
        wit::sqs()
    }
    fn postgres(&self) -> SectionRead<PostgresServer> {
        wit::postgres()
    }
    fn prometheus(&self) -> SectionRead<PrometheusServer> {
        wit::prometheus()
    }
    fn config_files(&self) -> SectionRead<ConfigFile> {
        wit::config_files()
    }
    fn registry(&self) -> SectionRead<Integration> {
        wit::registry()
    }
}
