using System.Text.Json.Nodes;
using JobQueue.Core.Jobs;

namespace JobQueue.Core.Cron;

/// <summary>
/// A stored cron schedule: the job it enqueues (type, payload, queue, priority, attempts, timeout, tags), when
/// (expression read in <see cref="Timezone"/>), and its firing state. Names are unique per tenant.
/// </summary>
public sealed record CronSchedule
{
    public required Guid Id { get; init; }
    /// <summary>The tenant; the fired jobs belong to it too.</summary>
    public required string Owner { get; init; }
    public required string Name { get; init; }
    public required string JobType { get; init; }
    public string Payload { get; init; } = "{}";
    public string QueueName { get; init; } = QueueNames.Default;
    public int Priority { get; init; } = JobDefaults.Priority;
    public int MaxAttempts { get; init; } = JobDefaults.MaxAttempts;
    public int? TimeoutSeconds { get; init; }
    public string Tags { get; init; } = "{}";
    public required string CronExpression { get; init; }
    public string Timezone { get; init; } = CronTimeZones.Default;
    public bool Enabled { get; init; } = true;
    /// <summary>The due tick: the firer enqueues once when it is reached, then moves it on (compare-and-set on this value).</summary>
    public DateTime NextRunAt { get; init; }
    public DateTime? LastRunAt { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    /// <summary>The tag naming the schedule on every job it fires (value: the schedule's name).</summary>
    public const string NameTag = "cron";

    /// <summary>The tag holding the schedule's id on every job it fires.</summary>
    public const string IdTag = "cron_id";

    /// <summary>The tag holding the tick (RFC 3339 UTC) a fired job is for: one job per schedule and tick.</summary>
    public const string TickTag = "cron_tick";

    /// <summary>The next tick after <paramref name="afterUtc"/> by this schedule's expression and zone.</summary>
    public DateTime NextRunAfter(DateTime afterUtc) =>
        CronOccurrences.NextAfter(Cron.CronExpression.Parse(CronExpression), CronTimeZones.Find(Timezone), afterUtc);

    /// <summary>
    /// What firing this schedule at <paramref name="now"/> does: the tick it fires (<see cref="NextRunAt"/>), the
    /// tick after (the first occurrence after now, so a schedule that missed many ticks, after downtime, fires once
    /// and not once per missed tick) and the job.
    /// </summary>
    public (DateTime Due, DateTime Next, Job Job) FireAt(DateTime now) => (NextRunAt, NextRunAfter(now), JobFor(NextRunAt, now));

    /// <summary>
    /// The job this schedule enqueues for tick <paramref name="due"/>, firing at <paramref name="now"/>: the
    /// schedule's owner and settings, its tags plus <see cref="NameTag"/>, <see cref="IdTag"/> and <see cref="TickTag"/>.
    /// </summary>
    public Job JobFor(DateTime due, DateTime now)
    {
        var tags = JsonNode.Parse(Tags) as JsonObject ?? [];
        tags[NameTag] = Name;
        tags[IdTag] = Id.ToString();
        tags[TickTag] = due.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        return new Job
        {
            Id = Guid.CreateVersion7(),
            Owner = Owner,
            Type = JobType,
            Payload = Payload,
            Priority = Priority,
            MaxAttempts = MaxAttempts,
            QueueName = QueueName,
            ScheduledAt = now,
            CreatedAt = now,
            TimeoutSeconds = TimeoutSeconds,
            Tags = tags.ToJsonString(),
        };
    }

    /// <summary>
    /// This schedule changed by <paramref name="patch"/> at <paramref name="now"/>. The next tick is recomputed from
    /// now when the expression or zone changes or the schedule is switched back on (a paused schedule does not
    /// catch up on the ticks it missed).
    /// </summary>
    public CronSchedule With(CronPatch patch, DateTime now)
    {
        var next = this with
        {
            Name = patch.Name ?? Name,
            CronExpression = patch.CronExpression ?? CronExpression,
            Timezone = patch.Timezone ?? Timezone,
            Payload = patch.Payload ?? Payload,
            QueueName = patch.QueueName ?? QueueName,
            Priority = patch.Priority ?? Priority,
            MaxAttempts = patch.MaxAttempts ?? MaxAttempts,
            Enabled = patch.Enabled ?? Enabled,
            UpdatedAt = now,
        };
        var retimed = next.CronExpression != CronExpression || next.Timezone != Timezone || (next.Enabled && !Enabled);
        return retimed ? next with { NextRunAt = next.NextRunAfter(now) } : next;
    }
}

/// <summary>A checked create request. Only <see cref="Validation.CronRequestValidator"/> makes these.</summary>
public sealed record CronSpec(
    string Name,
    string JobType,
    string CronExpression,
    string Timezone,
    string Payload,
    string QueueName,
    int Priority,
    int MaxAttempts,
    int? TimeoutSeconds,
    string Tags,
    bool Enabled)
{
    /// <summary>The schedule this request creates for <paramref name="owner"/> at <paramref name="now"/>.</summary>
    public CronSchedule ToSchedule(string owner, DateTime now)
    {
        var schedule = new CronSchedule
        {
            Id = Guid.CreateVersion7(),
            Owner = owner,
            Name = Name,
            JobType = JobType,
            Payload = Payload,
            QueueName = QueueName,
            Priority = Priority,
            MaxAttempts = MaxAttempts,
            TimeoutSeconds = TimeoutSeconds,
            Tags = Tags,
            CronExpression = CronExpression,
            Timezone = Timezone,
            Enabled = Enabled,
            CreatedAt = now,
            UpdatedAt = now,
        };
        return schedule with { NextRunAt = schedule.NextRunAfter(now) };
    }
}

/// <summary>A checked PATCH request: null means "leave as is".</summary>
public sealed record CronPatch(
    bool? Enabled = null,
    string? CronExpression = null,
    string? Payload = null,
    string? QueueName = null,
    int? Priority = null,
    string? Timezone = null,
    string? Name = null,
    int? MaxAttempts = null);
