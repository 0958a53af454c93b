//! Typed access to a check's parameters: the values the host passed, falling back to the
//! declared defaults (which is what native tests see unless they override).

use crate::info::Info;
use crate::{Param, ParamValue};

/// The parameters of one run.
#[derive(Debug, Clone)]
pub struct Params {
    values: Vec<Param>,
}

impl Params {
    /// Declared defaults, overridden by `given` where names match.
    pub fn new(info: &Info, given: Vec<Param>) -> Self {
        let mut values: Vec<Param> =
            info.params().iter().map(|spec| Param { name: spec.name.clone(), value: spec.default.clone() }).collect();
        for param in given {
            match values.iter_mut().find(|p| p.name == param.name) {
                Some(slot) => slot.value = param.value,
                None => values.push(param),
            }
        }
        Params { values }
    }

    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.values.iter().find(|p| p.name == name).map(|p| &p.value)
    }

    /// A number (integer or float). Panics only on a name the check never declared — a bug in
    /// the check, which the host reports as `error`.
    pub fn f64(&self, name: &str) -> f64 {
        match self.get(name) {
            Some(ParamValue::Float(v)) => *v,
            Some(ParamValue::Integer(v)) => *v as f64,
            other => panic!("parameter `{name}` is not a number: {other:?}"),
        }
    }

    pub fn i64(&self, name: &str) -> i64 {
        match self.get(name) {
            Some(ParamValue::Integer(v)) => *v,
            Some(ParamValue::Float(v)) => *v as i64,
            other => panic!("parameter `{name}` is not an integer: {other:?}"),
        }
    }

    pub fn bool(&self, name: &str) -> bool {
        match self.get(name) {
            Some(ParamValue::Boolean(v)) => *v,
            other => panic!("parameter `{name}` is not a boolean: {other:?}"),
        }
    }

    pub fn text(&self, name: &str) -> &str {
        match self.get(name) {
            Some(ParamValue::Text(v)) => v,
            other => panic!("parameter `{name}` is not text: {other:?}"),
        }
    }

    pub fn list(&self, name: &str) -> &[String] {
        match self.get(name) {
            Some(ParamValue::TextList(v)) => v,
            other => panic!("parameter `{name}` is not a list of text: {other:?}"),
        }
    }
}
