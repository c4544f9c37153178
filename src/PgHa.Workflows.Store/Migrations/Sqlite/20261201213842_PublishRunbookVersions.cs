using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PgHa.Workflows.Store.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PublishRunbookVersions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "PublishedAt",
                table: "RunbookVersions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PublishedBy",
                table: "RunbookVersions",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            // Versions saved before drafts existed were runnable; they stay so (plain starts keep running the newest).
            migrationBuilder.Sql(@"UPDATE ""RunbookVersions"" SET ""PublishedAt"" = ""CreatedAt"", ""PublishedBy"" = 'saved before publishing existed'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PublishedAt",
                table: "RunbookVersions");

            migrationBuilder.DropColumn(
                name: "PublishedBy",
                table: "RunbookVersions");
        }
    }
}
