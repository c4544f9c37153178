using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PgHa.Workflows.Store.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class OneRunningRunPerCluster : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Runs_ClusterId_Running",
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
                table: "Runs");
        }
    }
}
