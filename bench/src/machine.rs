//! The machine a run was measured on, so figures shared by a room can be
//! told apart: a laptop's 8 cores are not this 2-core box.

use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    /// e.g. `AMD EPYC 7B13`, or `unknown`.
    pub cpu: String,
    /// The cores this process may use (`available_parallelism`), which
    /// respects CPU quotas: what the servers actually get.
    pub cores: usize,
    /// `linux`, `macos`, `windows`…
    pub os: String,
    pub arch: String,
    /// The distribution or OS version, where known.
    pub os_version: Option<String>,
}

/// Describes this machine.
pub fn describe() -> Machine {
    Machine {
        cpu: imp::cpu_model().unwrap_or_else(|| "unknown".to_string()),
        cores: thread::available_parallelism().map_or(1, |n| n.get()),
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
        os_version: imp::os_version(),
    }
}

/// How busy the CPUs were over `window`, in percent, before anything of the
/// bench runs: other programs take CPU from the servers and lower the
/// figures, which a room comparing results must know. Linux and Windows.
pub fn busy_percent(window: Duration) -> Option<f64> {
    let before = imp::cpu_times()?;
    thread::sleep(window);
    let after = imp::cpu_times()?;
    let total = after.0.checked_sub(before.0)?;
    let idle = after.1.checked_sub(before.1)?;
    (total > 0).then(|| 100.0 * (total.saturating_sub(idle)) as f64 / total as f64)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::fs;

    /// (all, idle) jiffies since boot, from the first line of /proc/stat:
    /// `cpu user nice system idle iowait irq softirq steal …`.
    pub fn cpu_times() -> Option<(u64, u64)> {
        let stat = fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> = stat
            .lines()
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .filter_map(|field| field.parse().ok())
            .collect();
        // Guest time is already counted in user time.
        let all = fields.iter().take(8).sum();
        let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
        Some((all, idle))
    }

    pub fn cpu_model() -> Option<String> {
        let info = fs::read_to_string("/proc/cpuinfo").ok()?;
        // x86 says `model name`; some ARM kernels only `Hardware` or `Model`.
        ["model name", "Hardware", "Model"].iter().find_map(|key| {
            info.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                (name.trim() == *key && !value.trim().is_empty()).then(|| value.trim().to_string())
            })
        })
    }

    pub fn os_version() -> Option<String> {
        let release = fs::read_to_string("/etc/os-release").ok()?;
        release.lines().find_map(|line| {
            let value = line.strip_prefix("PRETTY_NAME=")?;
            Some(value.trim_matches('"').to_string())
        })
    }
}

#[cfg(target_os = "macos")]
mod imp {
    use std::process::Command;

    pub fn cpu_times() -> Option<(u64, u64)> {
        None
    }

    fn sysctl(name: &str) -> Option<String> {
        let output = Command::new("sysctl").args(["-n", name]).output().ok()?;
        let text = String::from_utf8(output.stdout).ok()?;
        let text = text.trim();
        (output.status.success() && !text.is_empty()).then(|| text.to_string())
    }

    pub fn cpu_model() -> Option<String> {
        sysctl("machdep.cpu.brand_string")
    }

    pub fn os_version() -> Option<String> {
        sysctl("kern.osproductversion").map(|version| format!("macOS {version}"))
    }
}

#[cfg(windows)]
mod imp {
    use windows::Win32::Foundation::FILETIME;
    use windows::Win32::System::Threading::GetSystemTimes;

    /// (all, idle) in 100 ns ticks since boot, every CPU summed: Windows'
    /// kernel time includes its idle time.
    pub fn cpu_times() -> Option<(u64, u64)> {
        let [mut idle, mut kernel, mut user] = [FILETIME::default(); 3];
        // SAFETY: three valid pointers to FILETIMEs of ours, each written
        // by the call before it returns, and read only after.
        unsafe {
            GetSystemTimes(
                Some(&raw mut idle),
                Some(&raw mut kernel),
                Some(&raw mut user),
            )
        }
        .ok()?;
        let ticks =
            |time: FILETIME| (u64::from(time.dwHighDateTime) << 32) | u64::from(time.dwLowDateTime);
        Some((ticks(kernel) + ticks(user), ticks(idle)))
    }

    pub fn cpu_model() -> Option<String> {
        // Windows names its CPU in an environment variable.
        std::env::var("PROCESSOR_IDENTIFIER").ok()
    }

    pub fn os_version() -> Option<String> {
        None
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
mod imp {
    pub fn cpu_times() -> Option<(u64, u64)> {
        None
    }

    pub fn cpu_model() -> Option<String> {
        None
    }

    pub fn os_version() -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn describes_at_least_one_core_and_the_os() {
        let machine = super::describe();
        assert!(machine.cores >= 1);
        assert_eq!(machine.os, std::env::consts::OS);
        assert!(!machine.cpu.is_empty());
    }

    #[cfg(any(target_os = "linux", windows))]
    #[test]
    fn busy_is_a_percentage() {
        let busy = super::busy_percent(std::time::Duration::from_millis(100)).unwrap();
        assert!((0.0..=100.0).contains(&busy), "{busy}");
    }
}
