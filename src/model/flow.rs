//! Requests moving through the world: calls, attempts, jobs on instances, timeouts,
//! retries, fan-out to lower layers and caches. See [`super::request`] for the story;
//! this file is its event handlers.

use rand::RngExt;

use crate::engine::{SimDuration, SimTime};
use crate::queueing::{Admission, Started};

use super::client::retry_delay;
use super::fast::ClusterEvent;
use super::ids::{InstanceId, LayerId};
use super::observe::count_cause_n;
use super::request::{Call, Caller, DrawnBatch, FailureCause, Job, JobStage};
use super::slab::Handle;
use super::world::{Event, World};

impl World {
    /// A caller makes a new call to `layer`, and its first attempt.
    pub(crate) fn issue_call(&mut self, layer: LayerId, caller: Caller, reconnect: bool) {
        let now = self.now();
        let mut weight = match caller {
            Caller::User => self.weight,
            Caller::Job { job, .. } => self.jobs.get(job).map_or(self.weight, |j| j.weight),
        };
        if let (Some(fast), Caller::Job { job, .. }) = (&mut self.fast, caller) {
            // A thinned layer (see `model::quiet`): most calls take an outcome drawn
            // from its recent calls; the rest are made, each standing for `thinning`.
            match fast.layers[layer.index()].thin.thin_or_draw(&mut fast.rng) {
                super::quiet::Thinned::Made(thinning) => {
                    weight = weight.saturating_mul(thinning);
                }
                super::quiet::Thinned::Drawn { latency, failed } => {
                    match &mut self.drawn_batch {
                        // One event for all of a job's drawn calls (see `service_done`).
                        Some(batch) if batch.job == job => {
                            batch.latency = batch.latency.max(latency);
                            batch.failed |= failed;
                            batch.calls += 1;
                        }
                        _ => self.scheduler.schedule_at(
                            now + latency,
                            Event::DrawnCallDone {
                                job,
                                failed,
                                calls: 1,
                            },
                        ),
                    }
                    return;
                }
            }
        }
        let counts = &mut self.layers[layer.index()];
        counts.calls.issued += u64::from(weight);
        counts.calls.in_flight += u64::from(weight);
        counts.window.issued += weight;
        counts.budget.deposit();
        let call = self.calls.insert(Call {
            layer,
            caller,
            issued_at: now,
            attempts: 0,
            awaiting: false,
            last_backoff: SimDuration::ZERO,
            reconnect,
            counted_on: None,
            weight,
        });
        self.send_attempt(call);
    }

    /// Makes the next attempt of `call`: route it, and hand it to an instance.
    pub(crate) fn send_attempt(&mut self, call_handle: Handle) {
        let now = self.now();
        let Some(call) = self.calls.get_mut(call_handle) else {
            return;
        };
        call.attempts += 1;
        call.awaiting = true;
        let (layer_id, attempt, caller, reconnect, weight) = (
            call.layer,
            call.attempts,
            call.caller,
            call.reconnect,
            call.weight,
        );
        let layer = &mut self.layers[layer_id.index()];
        layer.attempts.arrived += u64::from(weight);
        if attempt > 1 {
            layer.calls.retries += u64::from(weight);
        }
        layer.window.attempts += weight;
        if let Some(fast) = &mut self.fast {
            let counts = &mut fast.layers[layer_id.index()];
            counts.attempts_since_tick += 1;
            counts.attempt_weight_since_tick += u64::from(weight);
        }
        let deadline = now + layer.client.timeout;
        layer.timeouts.push_back((deadline, call_handle, attempt));
        if !layer.timeouts_armed {
            layer.timeouts_armed = true;
            self.scheduler
                .schedule_at(deadline, Event::Timeouts { layer: layer_id });
        }
        let target = self.route(layer_id, caller);
        let Some(instance_id) = target else {
            self.attempt_failed_at_layer(layer_id, None, FailureCause::Refused, weight);
            self.attempt_failed(call_handle, FailureCause::Refused);
            return;
        };
        if let Caller::Job { instance, .. } = caller
            && self.layers[layer_id.index()].balancer.counts_per_client()
        {
            *self.instances[instance.index()]
                .outstanding_from_here
                .entry(instance_id)
                .or_insert(0) += 1;
            if let Some(call) = self.calls.get_mut(call_handle) {
                call.counted_on = Some(instance_id);
            }
        }
        if !self.instances[instance_id.index()].is_up() {
            // A dead instance still in the caller's view: refused. The instance never
            // sees it, so its version's (server-side) metrics do not either; a version
            // whose instances keep dying shows in its crash count instead.
            self.attempt_failed_at_layer(layer_id, None, FailureCause::Refused, weight);
            self.attempt_failed(call_handle, FailureCause::Refused);
            return;
        }
        let impaired = self.instances[instance_id.index()].impaired;
        if impaired.blackholed {
            self.lose_attempt(layer_id, instance_id, deadline, weight);
            return;
        }
        self.count_on_cluster(instance_id, weight, ClusterEvent::Attempt);
        let job = self.jobs.insert(Job {
            call: call_handle,
            attempt,
            layer: layer_id,
            instance: instance_id,
            arrived_at: now,
            stage: JobStage::Queued,
            pending_calls: 0,
            downstream_failed: false,
            reconnect,
            defect_hit: false,
            background: false,
            weight,
        });
        self.layers[layer_id.index()].attempts.in_flight += u64::from(weight);
        self.jobs_peak = self.jobs_peak.max(self.jobs.len());
        // On its way: an added latency, or a quiet cluster's queue wait (see
        // `model::quiet`); no worker taken until it arrives.
        let delay = impaired.added_latency + self.quiet_wait(instance_id);
        if !delay.is_zero() {
            self.jobs.get_mut(job).expect("just inserted").stage = JobStage::InTransit;
            self.instances[instance_id.index()].impaired.in_transit += 1;
            self.scheduler
                .schedule_at(now + delay, Event::Delivered { job });
            return;
        }
        self.admit(job, instance_id, layer_id, call_handle);
    }

    /// A request lost to a blackholed instance: the layer counts it failed by timeout
    /// (nothing will ever answer it), the caller learns so at its own timer, and a
    /// balancer sees it outstanding on the instance until then.
    fn lose_attempt(
        &mut self,
        layer: LayerId,
        instance: InstanceId,
        deadline: SimTime,
        weight: u32,
    ) {
        self.layers[layer.index()].departed += u64::from(weight);
        self.attempt_failed_at_layer(layer, None, FailureCause::Timeout, weight);
        self.instances[instance.index()].impaired.in_transit += 1;
        self.scheduler
            .schedule_at(deadline, Event::LostExpired { instance });
    }

    /// A delayed request reaches its instance (one that died meanwhile reset it).
    pub(crate) fn delivered(&mut self, job_handle: Handle) {
        let Some(job) = self.jobs.get_mut(job_handle) else {
            return;
        };
        if job.stage != JobStage::InTransit {
            return;
        }
        job.stage = JobStage::Queued;
        let (instance, layer, call) = (job.instance, job.layer, job.call);
        let on = &mut self.instances[instance.index()];
        on.impaired.in_transit = on.impaired.in_transit.saturating_sub(1);
        self.admit(job_handle, instance, layer, call);
    }

    /// Hands a job to its instance's station: served, queued, or shed.
    fn admit(
        &mut self,
        job: Handle,
        instance_id: InstanceId,
        layer_id: LayerId,
        call_handle: Handle,
    ) {
        let now = self.now();
        let weight = self.jobs.get(job).map_or(0, |j| j.weight);
        match self.instances[instance_id.index()].station.arrive(now, job) {
            Admission::Serving(job) => self.start_service(job),
            Admission::Queued => {}
            Admission::Rejected(job) => {
                self.jobs.remove(job);
                let layer = &mut self.layers[layer_id.index()];
                layer.attempts.in_flight -= u64::from(weight);
                layer.departed += u64::from(weight);
                self.attempt_failed_at_layer(
                    layer_id,
                    Some(instance_id),
                    FailureCause::Shed,
                    weight,
                );
                self.attempt_failed(call_handle, FailureCause::Shed);
            }
        }
    }

    /// Counts an attempt the layer failed (on `instance`, or before reaching one).
    pub(crate) fn attempt_failed_at_layer(
        &mut self,
        layer: LayerId,
        instance: Option<InstanceId>,
        cause: FailureCause,
        weight: u32,
    ) {
        count_cause_n(
            &mut self.layers[layer.index()].attempts.failed,
            cause,
            u64::from(weight),
        );
        if let Some(instance) = instance {
            self.count_on_cluster(instance, weight, ClusterEvent::Failure(cause));
        }
    }

    /// A worker takes the job: its service time, slowed while the instance warms up.
    pub(crate) fn start_service(&mut self, job_handle: Handle) {
        let now = self.now();
        let Some(job) = self.jobs.get_mut(job_handle) else {
            return;
        };
        job.stage = JobStage::Serving;
        let (layer, instance, reconnect) = (job.layer, job.instance, job.reconnect);
        if !job.background {
            let waited = now - job.arrived_at;
            let weight = u64::from(job.weight);
            let totals = &mut self.layers[layer.index()];
            totals.service_starts += weight;
            totals.waited_ns += u128::from(waited.as_nanos()) * u128::from(weight);
            if !waited.is_zero() {
                totals.delayed += weight;
            }
        }
        let base = self.layers[layer.index()]
            .service_time
            .sample(&mut self.rng.service[layer.index()]);
        let spell = self.in_spell(layer, instance);
        let on = &self.instances[instance.index()];
        let mut factor = on.slowdown_at(now) * on.impaired.service_factor;
        if let Some(noise) = &self.layers[layer.index()].noise {
            factor *= noise.latency_factor(spell);
        }
        if reconnect {
            factor *= super::herd::RECONNECT_SERVICE_FACTOR;
        }
        let version = on.version as usize;
        let release = &self.layers[layer.index()].releases[version];
        let busy_fraction = f64::from(on.station.busy()) / f64::from(on.station.servers());
        if release.hits(busy_fraction, &mut self.rng.release) {
            factor *= release.latency_factor;
            self.jobs
                .get_mut(job_handle)
                .expect("checked above")
                .defect_hit = true;
        }
        let service = if factor == 1.0 {
            base
        } else {
            SimDuration::from_nanos_f64(base.as_nanos_f64() * factor)
        };
        self.scheduler
            .schedule_at(now + service, Event::ServiceDone { job: job_handle });
    }

    /// The job's own work is done: make its downstream calls, or complete it.
    pub(crate) fn service_done(&mut self, job_handle: Handle) {
        let Some(job) = self.jobs.get(job_handle) else {
            return;
        };
        if job.stage != JobStage::Serving {
            return;
        }
        let (layer, instance) = (job.layer, job.instance);
        let on = &self.instances[instance.index()];
        let version = on.version as usize;
        let release = &self.layers[layer.index()].releases[version];
        if release.may_fail() {
            let uptime = self.now().saturating_since(on.ready_at);
            let p = release.error_probability(job.defect_hit, uptime);
            if p > 0.0 && self.rng.release.random::<f64>() < p {
                self.complete_job(job_handle, Some(FailureCause::Error));
                return;
            }
        }
        if self.layers[layer.index()].noise.is_some() {
            let spell = self.in_spell(layer, instance);
            let noise = self.layers[layer.index()].noise.as_ref().expect("checked");
            let p = noise.error_probability(spell);
            if p > 0.0 && self.rng.noise.random::<f64>() < p {
                self.complete_job(job_handle, Some(FailureCause::Error));
                return;
            }
        }
        // Decide every cache lookup first, so that the job knows how many calls it
        // waits for before any of them can resolve.
        let mut misses = std::mem::take(&mut self.scratch_layers);
        misses.clear();
        for d in 0..self.layers[layer.index()].downstream.len() {
            let downstream = self.layers[layer.index()].downstream[d];
            for _ in 0..downstream.count {
                if let Some((hit_ratio, warmup, slot)) = downstream.cache {
                    let lookups = &mut self.instances[instance.index()].cache_lookups[slot];
                    let n = *lookups as f64;
                    // Past WARM_CACHE_WARMUPS warm-up lengths the cache is warm to
                    // within e^-20.
                    let hit_probability = if n >= warmup * super::world::WARM_CACHE_WARMUPS {
                        hit_ratio
                    } else {
                        hit_ratio * (1.0 - (-n / warmup).exp())
                    };
                    *lookups += 1;
                    if self.rng.cache.random::<f64>() < hit_probability {
                        continue;
                    }
                }
                misses.push(downstream.layer);
            }
        }
        if misses.is_empty() {
            self.scratch_layers = misses;
            self.complete_job(job_handle, None);
            return;
        }
        if self.jobs.get(job_handle).is_some_and(|j| j.background) {
            self.await_sampled_calls(job_handle, &misses);
            self.scratch_layers = misses;
            return;
        }
        let job = self.jobs.get_mut(job_handle).expect("checked above");
        job.stage = JobStage::Waiting;
        job.pending_calls = misses.len() as u32;
        // The calls whose outcomes a thinned layer draws are over together, when the
        // longest of them is (the job waits for all its calls): one event.
        self.drawn_batch = Some(DrawnBatch {
            job: job_handle,
            latency: SimDuration::ZERO,
            failed: false,
            calls: 0,
        });
        for &target in &misses {
            self.issue_call(
                target,
                Caller::Job {
                    job: job_handle,
                    instance,
                },
                false,
            );
        }
        self.scratch_layers = misses;
        if let Some(batch) = self.drawn_batch.take()
            && batch.calls > 0
        {
            self.scheduler.schedule_at(
                self.now() + batch.latency,
                Event::DrawnCallDone {
                    job: job_handle,
                    failed: batch.failed,
                    calls: batch.calls,
                },
            );
        }
    }

    /// The job leaves its instance: succeeded, or failed with `failure`. Its worker
    /// takes the next queued job, and its caller hears back (if still listening).
    pub(crate) fn complete_job(&mut self, job_handle: Handle, failure: Option<FailureCause>) {
        let now = self.now();
        let Some(job) = self.jobs.remove(job_handle) else {
            return;
        };
        let instance = &mut self.instances[job.instance.index()];
        let next = instance.station.complete(now);
        let on_instance = now - job.arrived_at;
        if job.background {
            // Load on a representative only: its cluster's series, no caller.
            let event = match failure {
                None => ClusterEvent::Success(on_instance),
                Some(cause) => ClusterEvent::Failure(cause),
            };
            self.count_on_cluster(job.instance, 0, event);
        } else {
            let weight = u64::from(job.weight);
            let layer = &mut self.layers[job.layer.index()];
            layer.attempts.in_flight -= weight;
            layer.departed += weight;
            layer.sojourn_ns += on_instance.as_nanos() as u128 * u128::from(weight);
            match failure {
                None => {
                    layer.attempts.succeeded += weight;
                    let success = ClusterEvent::Success(on_instance);
                    self.count_on_cluster(job.instance, job.weight, success);
                }
                Some(cause) => {
                    self.attempt_failed_at_layer(job.layer, Some(job.instance), cause, job.weight)
                }
            }
        }
        self.serve_next(job.instance, next);
        if !job.background {
            self.answer(job.call, job.attempt, failure);
        }
    }

    /// A worker of `instance` is free and `next` waited for it: serve it, unless the
    /// layer drops it (its caller timed out, or it waited past the queue timeout), then
    /// try the next one; an instance left idle may finish draining.
    fn serve_next(&mut self, instance: InstanceId, mut next: Option<Started<Handle>>) {
        let now = self.now();
        while let Some(started) = next {
            let Some(job) = self.jobs.get(started.customer) else {
                next = self.instances[instance.index()].station.complete(now);
                continue;
            };
            let layer = &self.layers[job.layer.index()];
            let cause = if layer.drop_timed_out && now >= job.arrived_at + layer.client.timeout {
                FailureCause::Timeout
            } else if layer
                .queue_timeout
                .is_some_and(|limit| started.waited > limit)
            {
                FailureCause::Shed
            } else {
                self.start_service(started.customer);
                return;
            };
            let job = self.jobs.remove(started.customer).expect("looked up above");
            self.job_failed_on(job, instance, cause, now);
            next = self.instances[instance.index()].station.complete(now);
        }
        self.finish_drain_if_idle(instance);
    }

    /// The outcome of attempt `attempt` reaches its call, unless the caller moved on.
    pub(crate) fn answer(
        &mut self,
        call_handle: Handle,
        attempt: u32,
        failure: Option<FailureCause>,
    ) {
        let Some(call) = self.calls.get(call_handle) else {
            return;
        };
        if call.attempts != attempt || !call.awaiting {
            return;
        }
        match failure {
            None => self.resolve_call(call_handle, None),
            Some(cause) => self.attempt_failed(call_handle, cause),
        }
    }

    /// Callers' timers for attempts to `layer` are due: each attempt still awaited
    /// fails with `timeout`. Timers of attempts already answered are dropped as soon as
    /// they reach the front, so the next event waits for the first timer that can still
    /// fire: about one event per timeout length, not one per attempt.
    pub(crate) fn timeouts_due(&mut self, layer: LayerId) {
        let now = self.now();
        while let Some(&(deadline, call, attempt)) = self.layers[layer.index()].timeouts.front() {
            if deadline <= now {
                self.layers[layer.index()].timeouts.pop_front();
                self.answer(call, attempt, Some(FailureCause::Timeout));
            } else if self.awaits(call, attempt) {
                self.scheduler
                    .schedule_at(deadline, Event::Timeouts { layer });
                return;
            } else {
                // Answered already: nothing will happen at its deadline.
                self.layers[layer.index()].timeouts.pop_front();
            }
        }
        self.layers[layer.index()].timeouts_armed = false;
    }

    /// Whether `call` still waits for the answer to its attempt `attempt` (once it does
    /// not, it never will again: attempts only move on).
    fn awaits(&self, call: Handle, attempt: u32) -> bool {
        self.calls
            .get(call)
            .is_some_and(|c| c.attempts == attempt && c.awaiting)
    }

    /// The current attempt failed: retry after the backoff, or give up.
    pub(crate) fn attempt_failed(&mut self, call_handle: Handle, cause: FailureCause) {
        let now = self.now();
        self.uncount_attempt(call_handle);
        let Some(call) = self.calls.get_mut(call_handle) else {
            return;
        };
        call.awaiting = false;
        let layer = &mut self.layers[call.layer.index()];
        let may_retry = call.attempts <= layer.client.retries && layer.budget.try_withdraw();
        if !may_retry {
            self.resolve_call(call_handle, Some(cause));
            return;
        }
        let wait = retry_delay(
            &layer.client,
            call.attempts,
            call.last_backoff,
            &mut self.rng.client,
        );
        call.last_backoff = wait;
        self.scheduler
            .schedule_at(now + wait, Event::Retry { call: call_handle });
    }

    /// The current attempt of `call` is over for its caller: it no longer counts it
    /// outstanding on the instance it went to.
    fn uncount_attempt(&mut self, call_handle: Handle) {
        let Some(call) = self.calls.get_mut(call_handle) else {
            return;
        };
        let (Some(target), Caller::Job { instance, .. }) = (call.counted_on.take(), call.caller)
        else {
            return;
        };
        let counts = &mut self.instances[instance.index()].outstanding_from_here;
        if let Some(n) = counts.get_mut(&target) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&target);
            }
        }
    }

    /// The call is over: count it, and tell the job that made it.
    pub(crate) fn resolve_call(&mut self, call_handle: Handle, failure: Option<FailureCause>) {
        self.uncount_attempt(call_handle);
        let now = self.now();
        let Some(call) = self.calls.remove(call_handle) else {
            return;
        };
        let weight = call.weight;
        let layer = &mut self.layers[call.layer.index()];
        layer.calls.in_flight -= u64::from(weight);
        let latency = now - call.issued_at;
        if let Some(fast) = &mut self.fast {
            fast.layers[call.layer.index()]
                .thin
                .note_call(latency, failure.is_some());
        }
        match failure {
            None => {
                layer.calls.succeeded += u64::from(weight);
                layer.window.succeeded += weight;
                layer.window_latency.record_n(latency, weight);
            }
            Some(cause) => {
                count_cause_n(&mut layer.calls.failed, cause, u64::from(weight));
                count_cause_n(&mut layer.window.failed, cause, weight);
                if let Some(fast) = &mut self.fast {
                    fast.layers[call.layer.index()].failed_call(latency);
                }
            }
        }
        if let Caller::Job { job, .. } = call.caller {
            self.downstream_resolved(job, failure.is_some(), 1);
        }
    }

    /// One of a job's downstream calls is over.
    pub(crate) fn downstream_resolved(&mut self, job_handle: Handle, failed: bool, calls: u32) {
        let Some(job) = self.jobs.get_mut(job_handle) else {
            return; // the job died with its instance; nobody waits for this call
        };
        job.downstream_failed |= failed;
        job.pending_calls -= calls;
        if job.pending_calls == 0 {
            let failure = job.downstream_failed.then_some(FailureCause::Downstream);
            self.complete_job(job_handle, failure);
        }
    }

    /// Fails every job on an instance that just died (connection reset).
    pub(crate) fn reset_jobs_on(&mut self, instance: InstanceId, now: SimTime) {
        let doomed: Vec<Handle> = self
            .jobs
            .handles()
            .filter(|h| self.jobs.get(*h).is_some_and(|j| j.instance == instance))
            .collect();
        for handle in doomed {
            let job = self.jobs.remove(handle).expect("listed just now");
            self.job_failed_on(job, instance, FailureCause::Reset, now);
        }
    }

    /// `job`, already out of the slab, leaves `instance` failed with `cause` at `now`:
    /// its layer counts it, and its caller hears (a background job counts on its
    /// cluster only).
    fn job_failed_on(&mut self, job: Job, instance: InstanceId, cause: FailureCause, now: SimTime) {
        if job.background {
            self.count_on_cluster(instance, 0, ClusterEvent::Failure(cause));
            return;
        }
        let weight = u64::from(job.weight);
        let layer = &mut self.layers[job.layer.index()];
        layer.attempts.in_flight -= weight;
        layer.departed += weight;
        layer.sojourn_ns += (now - job.arrived_at).as_nanos() as u128 * u128::from(weight);
        self.attempt_failed_at_layer(job.layer, Some(instance), cause, job.weight);
        self.answer(job.call, job.attempt, Some(cause));
    }
}
