using JobQueue.Storage.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
// Claims and outcomes commit without waiting for the disk (a crash may undo one; the lease rescue runs the job
// again), and its statements, all by primary key, run as prepared generic plans (see PostgresSession).
var session = new PostgresSession(AsynchronousCommit: true, KeyLookupPlans: true);
builder.AddJobQueueStorage(session);
builder.AddWorker();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
