using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PgHa.Workflows.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PublishRunbookVersionsPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "PublishedAt",
                schema: "pgha",
                table: "RunbookVersions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PublishedBy",
                schema: "pgha",
                table: "RunbookVersions",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            // Versions saved before drafts existed were runnable; they stay so (plain starts keep running the newest).
            migrationBuilder.Sql(@"UPDATE pgha.""RunbookVersions"" SET ""PublishedAt"" = ""CreatedAt"", ""PublishedBy"" = 'saved before publishing existed'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PublishedAt",
                schema: "pgha",
                table: "RunbookVersions");

            migrationBuilder.DropColumn(
                name: "PublishedBy",
                schema: "pgha",
                table: "RunbookVersions");
        }
    }
}
