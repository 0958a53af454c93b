//! The host side of the contract's `estate` interface: the imports a check calls to read the
//! snapshot. A section is lowered into the check's memory straight from the shared snapshot —
//! no host-side copy first, since an estate can be gigabytes and one check per core reads it at
//! once. Reads are refused until `describe` has answered, and for sections not declared; every
//! read is counted in the check's read log (`host::ReadLog`: one entry per section and outcome,
//! so a guest reading in a loop costs the host a counter and, for an unreadable section, one
//! transient copy of the reason).
//!
//! These functions are defined by hand rather than through the bindings' generated
//! `estate::add_to_linker`, whose host trait must return owned `Vec`s (a full clone per read).
//! Names and types are the contract's: the linker type-checks each against the component's
//! import when it is linked, so a mismatch is a load error, never a bad read.

use std::mem::MaybeUninit;
use std::sync::Arc;

use wasmtime::StoreContextMut;
use wasmtime::component::__internal::{CanonicalAbiInfo, InstanceType, InterfaceType, LowerContext};
use wasmtime::component::{ComponentType, Linker, LinkerInstance, Lower};

use super::host::CheckState;
use crate::contract::estate::SectionError;
use crate::contract::types::Section;
use crate::outcome::ReadState;
use crate::snapshot::Snapshot;

/// Defines `plumbline:audit/estate@<VERSION>` in `linker`.
pub fn add_to_linker(linker: &mut Linker<CheckState>) -> wasmtime::Result<()> {
    let name = format!("{}/estate@{}", crate::contract::PACKAGE, crate::contract::VERSION);
    let mut estate = linker.instance(&name)?;
    estate.func_wrap("info", |store: StoreContextMut<'_, CheckState>, (): ()| {
        Ok((store.data().snapshot.info.clone(),))
    })?;
    section(&mut estate, Section::Kafka, |s| s.kafka.as_deref())?;
    section(&mut estate, Section::Rabbitmq, |s| s.rabbitmq.as_deref())?;
    section(&mut estate, Section::Sqs, |s| s.sqs.as_deref())?;
    section(&mut estate, Section::Postgres, |s| s.postgres.as_deref())?;
    section(&mut estate, Section::Prometheus, |s| s.prometheus.as_deref())?;
    section(&mut estate, Section::ConfigFiles, |s| s.config_files.as_deref())?;
    section(&mut estate, Section::Registry, |s| s.registry.as_deref())?;
    Ok(())
}

/// Defines the import that serves `section` (named as in the contract, e.g. `config-files`).
fn section<T>(
    estate: &mut LinkerInstance<'_, CheckState>,
    section: Section,
    pick: fn(&Snapshot) -> Option<&[T]>,
) -> wasmtime::Result<()>
where
    T: Lower + Send + Sync + 'static,
{
    estate.func_wrap(section.name(), move |mut store: StoreContextMut<'_, CheckState>, (): ()| {
        Ok((serve(store.data_mut(), section, pick),))
    })
}

/// Answers one read: the data (as a view into the snapshot) or why there is none.
fn serve<T>(
    state: &mut CheckState,
    section: Section,
    pick: fn(&Snapshot) -> Option<&[T]>,
) -> Result<InPlace<T>, SectionError> {
    let declared = state.declared.as_ref().is_some_and(|d| d.contains(&section));
    match state.reads.record(section, declared, &state.snapshot) {
        ReadState::Available | ReadState::Partial(_) => Ok(InPlace { snapshot: state.snapshot.clone(), pick }),
        ReadState::Unavailable(reason) => Err(SectionError::Unavailable(reason.clone())),
        ReadState::NotCollected => Err(SectionError::NotCollected),
        ReadState::NotDeclared => Err(SectionError::NotDeclared),
    }
}

/// A list of the snapshot, lowered as `list<T>` from where it lies (an absent list is empty).
struct InPlace<T: 'static> {
    snapshot: Arc<Snapshot>,
    pick: fn(&Snapshot) -> Option<&[T]>,
}

impl<T> InPlace<T> {
    fn items(&self) -> &[T] {
        (self.pick)(&self.snapshot).unwrap_or_default()
    }
}

// SAFETY: every item is delegated to `[T]`'s implementation (as wasmtime's own `Vec<T>` and
// `Arc<T>` do), so the ABI, type check and lowering are exactly those of a `list<T>`.
unsafe impl<T: ComponentType> ComponentType for InPlace<T> {
    type Lower = <[T] as ComponentType>::Lower;
    const ABI: CanonicalAbiInfo = <[T] as ComponentType>::ABI;
    const MAY_REQUIRE_REALLOC: bool = <[T] as ComponentType>::MAY_REQUIRE_REALLOC;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <[T] as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: see `ComponentType` above.
unsafe impl<T: Lower> Lower for InPlace<T> {
    fn linear_lower_to_flat<U>(
        &self,
        cx: &mut LowerContext<'_, U>,
        ty: InterfaceType,
        dst: &mut MaybeUninit<Self::Lower>,
    ) -> wasmtime::Result<()> {
        <[T] as Lower>::linear_lower_to_flat(self.items(), cx, ty, dst)
    }

    fn linear_lower_to_memory<U>(
        &self,
        cx: &mut LowerContext<'_, U>,
        ty: InterfaceType,
        offset: usize,
    ) -> wasmtime::Result<()> {
        <[T] as Lower>::linear_lower_to_memory(self.items(), cx, ty, offset)
    }
}
