global using NUnit.Framework;

// Every fixture starts a whole system (Postgres, Redis, AppHost and 8+ services): on two cores, one at a time.
[assembly: NonParallelizable]
[assembly: LevelOfParallelism(1)]
