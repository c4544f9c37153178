using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PgHa.Workflows.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class OneRunningRunPerClusterPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Runs_ClusterId_Running",
                schema: "pgha",
                table: "Runs",
                column: "ClusterId",
                unique: true,
                filter: "\"ClusterId\" IS NOT NULL AND \"Status\" = 'Running' AND NOT \"DryRun\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Runs_ClusterId_Running",
                schema: "pgha",
                table: "Runs");
        }
    }
}
