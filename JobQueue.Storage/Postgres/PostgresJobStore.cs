using Dapper;
using JobQueue.Core.Jobs;
using Npgsql;

namespace JobQueue.Storage.Postgres;

/// <summary>
/// The truth about jobs. Split by concern: <c>.Enqueue</c>, <c>.Claim</c>, <c>.Transitions</c>, <c>.Queries</c>,
/// <c>.Dlq</c>, <c>.Maintenance</c>. All SQL lives in <see cref="JobSql"/>.
/// </summary>
public sealed partial class PostgresJobStore(NpgsqlDataSource dataSource)
{
    static PostgresJobStore()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new JobStatusHandler());
    }

    public NpgsqlDataSource DataSource => dataSource;

    private static CommandDefinition Cmd(string sql, object? args, CancellationToken ct, NpgsqlTransaction? tx = null) =>
        new(sql, args, tx, cancellationToken: ct);

    private sealed class JobStatusHandler : SqlMapper.TypeHandler<JobStatus>
    {
        public override JobStatus Parse(object value) => JobStatusNames.Parse((string)value);

        public override void SetValue(System.Data.IDbDataParameter parameter, JobStatus value) => parameter.Value = value.ToWire();
    }
}
