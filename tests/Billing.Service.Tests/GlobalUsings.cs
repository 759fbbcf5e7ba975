global using JobQueue.Testing;
