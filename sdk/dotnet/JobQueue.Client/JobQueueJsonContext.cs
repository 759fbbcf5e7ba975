using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobQueue.Client;

/// <summary>
/// The API's JSON (snake_case; what a request leaves null is not sent), generated at compile time: no reflection
/// on the request path, and the client trims. Applications can serialise the models with it too.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(Job))]
[JsonSerializable(typeof(LeasedJob))]
[JsonSerializable(typeof(List<Job>))]
[JsonSerializable(typeof(List<LeasedJob>))]
[JsonSerializable(typeof(EnqueueRequest))]
[JsonSerializable(typeof(List<EnqueueRequest>))]
[JsonSerializable(typeof(JobCursorPage))]
[JsonSerializable(typeof(JobAttemptList))]
[JsonSerializable(typeof(List<JobAttempt>))]
[JsonSerializable(typeof(CancelResult))]
[JsonSerializable(typeof(PurgeResult))]
[JsonSerializable(typeof(List<DlqEntry>))]
[JsonSerializable(typeof(RequeueResult))]
[JsonSerializable(typeof(Stats))]
[JsonSerializable(typeof(List<Worker>))]
[JsonSerializable(typeof(Health))]
[JsonSerializable(typeof(Deleted))]
[JsonSerializable(typeof(CronSchedule))]
[JsonSerializable(typeof(List<CronSchedule>))]
[JsonSerializable(typeof(CreateCronRequest))]
[JsonSerializable(typeof(UpdateCronRequest))]
[JsonSerializable(typeof(Webhook))]
[JsonSerializable(typeof(List<Webhook>))]
[JsonSerializable(typeof(CreateWebhookRequest))]
[JsonSerializable(typeof(UpdateWebhookRequest))]
[JsonSerializable(typeof(List<WebhookDelivery>))]
[JsonSerializable(typeof(WebhookTestResult))]
[JsonSerializable(typeof(List<ApiKey>))]
[JsonSerializable(typeof(CreatedApiKey))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(Usage))]
[JsonSerializable(typeof(Credentials))]
[JsonSerializable(typeof(Registration))]
[JsonSerializable(typeof(Login))]
[JsonSerializable(typeof(LeaseRequest))]
[JsonSerializable(typeof(HeartbeatRequest))]
[JsonSerializable(typeof(HeartbeatResult))]
[JsonSerializable(typeof(CompleteRequest))]
[JsonSerializable(typeof(FailRequest))]
[JsonSerializable(typeof(LiveFrame))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class JobQueueJsonContext : JsonSerializerContext;
